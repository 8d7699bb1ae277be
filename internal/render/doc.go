// Package render proves an edit by rendering its target the way the deploy
// tool will — a kustomization with the kustomize API, a chart with Helm's
// engine, both in memory from the repository snapshot, never touching a
// cluster or the network — before and after the edit, and requiring that
// every rendered container image of the application is exactly its pinned
// reference and that nothing else in the output changed.
package render
