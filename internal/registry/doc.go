// Package registry verifies that an image tag exists in its container
// registry and resolves it to the digest the registry serves, talking only to
// registries on the server's allowlist.
package registry
