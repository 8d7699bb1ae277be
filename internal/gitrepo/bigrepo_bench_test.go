package gitrepo

import (
	"fmt"
	"testing"
)

// BenchmarkCommitBigRepo is BenchmarkCommit on the big repositories of the
// performance suite (test/bench, scenario bigrepo): 20,000 files with 1,000
// and with 10,000 commits, to see whether one update costs more with a
// longer history. Profile it with -cpuprofile to see where an update goes.
func BenchmarkCommitBigRepo(b *testing.B) {
	for _, commits := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("commits=%d", commits), func(b *testing.B) { benchCommit(b, 20000, commits) })
	}
}
