package main

// allowedSkips lists, by "import/path.TestName", the tests that may skip
// under CI=true, each with why it cannot run in CI. It is empty: CI installs
// and starts everything the tests need (.ci/deps.sh). Add an entry only for
// something that truly cannot run there, and say why.
var allowedSkips = map[string]string{}
