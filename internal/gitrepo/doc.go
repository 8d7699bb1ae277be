// Package gitrepo reads and writes environment repositories: it keeps a
// shallow in-memory clone per remote, builds byte-minimal commits through the
// object storer (no worktree), and pushes them without ever forcing, retrying
// on a fresh head when someone else pushed first.
//
// The design follows what was measured on large repositories (see
// NOTES-go-git.md): a depth-1 single-branch first fetch into memory storage,
// later fetches of the same branch without a depth, trees edited in place in
// Git's entry order, and a re-clone every Config.RecloneAfter commits because
// memory storage never forgets an object.
package gitrepo
