// Package supplychain verifies who signed an image and how it was built:
// it finds the image's Sigstore signatures and in-toto SLSA provenance in the
// image's own registry (OCI 1.1 referrers and cosign's sha256-<hex>.sig/.att
// tags), verifies them with sigstore-go against the configured trusted root
// and public keys, and decides whether an environment's policy admits them.
//
// For a multi-arch image the digest that must be signed is the index's (the
// digest Ferry pins); signatures over its platform manifests do not count,
// because the index is what decides which manifests a pull receives.
package supplychain
