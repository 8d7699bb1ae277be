package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// updateScript is the CI step a team writes instead of Ferry: pull, edit
// the overlay with sed, commit, push; on a rejected (non-fast-forward) push,
// drop the local commit, pull again and redo the edit. It prints the number
// of push attempts.
const updateScript = `#!/bin/sh
# usage: update.sh CLONE FILE APP TAG DIGEST
set -eu
cd "$1"
file=$2 app=$3 tag=$4 digest=$5
edit() {
  sed -i -e "s|^    newTag: .*|    newTag: \"$tag\"|" -e "s|^    digest: .*|    digest: $digest|" "$file"
  git commit -q -am "$app: dev <- $tag"
}
git pull -q --ff-only origin main
edit
n=1
until git push -q origin HEAD:main 2>/dev/null; do
  n=$((n+1))
  if [ $n -gt 500 ]; then echo "giving up after $n pushes" >&2; exit 1; fi
  git reset -q --hard HEAD~1
  git pull -q --ff-only origin main
  edit
done
echo $n
`

// commitPushScript is the bare minimum of the same change: edit, commit and
// push in an up-to-date clone, no pull and no retry.
const commitPushScript = `#!/bin/sh
set -eu
cd "$1"
sed -i -e "s|^    newTag: .*|    newTag: \"$4\"|" -e "s|^    digest: .*|    digest: $5|" "$2"
git commit -q -am "$3: dev <- $4" && git push -q origin HEAD:main
`

// scripts holds the baseline scripts written to disk.
type scripts struct{ update, commitPush string }

func writeScripts(dir string) (scripts, error) {
	s := scripts{update: filepath.Join(dir, "update.sh"), commitPush: filepath.Join(dir, "commit-push.sh")}
	if err := os.WriteFile(s.update, []byte(updateScript), 0o755); err != nil {
		return s, err
	}
	return s, os.WriteFile(s.commitPush, []byte(commitPushScript), 0o755)
}

// cloneRepo clones bare into dir with the git CLI.
func cloneRepo(ctx context.Context, bare, dir string) error {
	_, err := git(ctx, "", "clone", "-q", "-b", "main", bare, dir)
	return err
}

// runScript runs script for one build in clone; it returns the number of
// push attempts the script reported (1 for the commit-push script).
func runScript(ctx context.Context, script, clone string, b build) (int, error) {
	cmd := exec.CommandContext(ctx, "/bin/sh", script, clone, appPath(b.app), b.app, b.tag, b.digest)
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		return 0, fmt.Errorf("%s %s: %v %s", filepath.Base(script), b.tag, err, msg)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return 1, nil
	}
	return n, nil
}
