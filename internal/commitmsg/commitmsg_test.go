package commitmsg

import (
	"reflect"
	"testing"
)

func payments() Entry {
	return Entry{
		Release: "rel_1", Promotion: "prm_1",
		Image:        "registry.example.com:5000/acme/payments:1.4.2@sha256:f6cc0a1b2c3d4e5f",
		SourceCommit: "0123456789abcdef0123456789abcdef01234567", CIRun: "https://ci.example.com/runs/7",
		Application: "payments", Environment: "dev", Path: "envs/dev/payments/kustomization.yaml",
		SourceRepo: "https://git.example.com/acme/payments",
	}
}

func TestFormatWritesTheWireFormat(t *testing.T) {
	t.Parallel()
	e := payments()
	e.RequestedBy, e.ForcedBy = "alice", "alice"
	ledger := Entry{Release: "rel_2", Promotion: "prm_2", Image: "registry.example.com:5000/acme/ledger:2.0@sha256:bb",
		Application: "ledger", Environment: "stage", Path: "envs/stage/ledger.yaml", RequestedBy: "ferry"}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"one promotion", Format([]Entry{payments()}),
			"payments: dev ← 1.4.2 (sha256:f6cc0a1b)\n\n" +
				"- payments: registry.example.com:5000/acme/payments:1.4.2@sha256:f6cc0a1b2c3d4e5f → dev (envs/dev/payments/kustomization.yaml)\n" +
				"  source: https://git.example.com/acme/payments 0123456789abcdef0123456789abcdef01234567\n\n" +
				"Ferry-Release: rel_1\nFerry-Promotion: prm_1\nFerry-Image: registry.example.com:5000/acme/payments:1.4.2@sha256:f6cc0a1b2c3d4e5f\n" +
				"Ferry-Source-Commit: 0123456789abcdef0123456789abcdef01234567\nFerry-CI-Run: https://ci.example.com/runs/7\n"},
		{"a batch, forced", Format([]Entry{e, ledger}),
			"dev, stage ← 2 releases\n\n" +
				"- payments: registry.example.com:5000/acme/payments:1.4.2@sha256:f6cc0a1b2c3d4e5f → dev (envs/dev/payments/kustomization.yaml)\n" +
				"  source: https://git.example.com/acme/payments 0123456789abcdef0123456789abcdef01234567\n" +
				"- ledger: registry.example.com:5000/acme/ledger:2.0@sha256:bb → stage (envs/stage/ledger.yaml)\n\n" +
				"Ferry-Release: rel_1\nFerry-Promotion: prm_1\nFerry-Image: registry.example.com:5000/acme/payments:1.4.2@sha256:f6cc0a1b2c3d4e5f\n" +
				"Ferry-Source-Commit: 0123456789abcdef0123456789abcdef01234567\nFerry-CI-Run: https://ci.example.com/runs/7\n" +
				"Ferry-Requested-By: alice\nFerry-Forced-By: alice\n" +
				"Ferry-Release: rel_2\nFerry-Promotion: prm_2\nFerry-Image: registry.example.com:5000/acme/ledger:2.0@sha256:bb\n" +
				"Ferry-Requested-By: ferry\n"},
		{"a merge", FormatMerge("ferry/ledger/stage", []Entry{{Release: "rel_2", Promotion: "prm_2",
			Image: "r/ledger:2.0@sha256:bb", Application: "ledger", Environment: "stage", Path: "l.yaml",
			ApprovedBy: []string{"bob", "carol"}, MergedBy: "carol"}}),
			"Merge ferry/ledger/stage: ledger: stage ← 2.0 (sha256:bb)\n\n" +
				"- ledger: r/ledger:2.0@sha256:bb → stage (l.yaml)\n\n" +
				"Ferry-Release: rel_2\nFerry-Promotion: prm_2\nFerry-Image: r/ledger:2.0@sha256:bb\n" +
				"Ferry-Merged-By: carol\nFerry-Approved-By: bob\nFerry-Approved-By: carol\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseIsFormatsInverse(t *testing.T) {
	t.Parallel()
	forced := payments()
	forced.RequestedBy, forced.ForcedBy = "alice", "alice"
	bare := Entry{Release: "rel_3", Promotion: "prm_3", Image: "r/x:1@sha256:cc", Application: "x", Environment: "prod", Path: "x.yaml"}
	merged := bare
	merged.ApprovedBy, merged.MergedBy = []string{"bob", "carol"}, "carol"
	for _, tc := range []struct {
		name string
		msg  string
		want Message
	}{
		{"one", Format([]Entry{payments()}), Message{Entries: []Entry{payments()}}},
		{"batch", Format([]Entry{forced, bare}), Message{Entries: []Entry{forced, bare}}},
		{"merge", FormatMerge("ferry/x/prod", []Entry{merged}), Message{Merged: "ferry/x/prod", Entries: []Entry{merged}}},
	} {
		if got := Parse(tc.msg); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Parse(Format(m)):\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// Commits Ferry wrote before a key was added, and by hand, must still read.
func TestParseReadsOlderAndHandMadeMessages(t *testing.T) {
	t.Parallel()
	old := "dev ← 2 releases\n\n" +
		"- payments: registry.example.com/acme/payments:v1@sha256:aa → dev (envs/dev/payments/kustomization.yaml)\n" +
		"  source: https://git.example.com/acme/payments 0123abc\n" +
		"- ledger: registry.example.com/acme/ledger:v2@sha256:bb → dev (envs/dev/ledger/kustomization.yaml)\n\n" +
		"Ferry-Release: rel-1\nFerry-Promotion: pro-1\nFerry-Image: registry.example.com/acme/payments:v1@sha256:aa\n" +
		"Ferry-Source-Commit: 0123abc\nFerry-CI-Run: https://ci.example.com/1\n" +
		"Ferry-Release: rel-2\nFerry-Promotion: pro-2\nFerry-Image: registry.example.com/acme/ledger:v2@sha256:bb\n"
	for _, tc := range []struct {
		name string
		msg  string
		want Message
	}{
		{"batch commit of the first format", old, Message{Entries: []Entry{
			{Release: "rel-1", Promotion: "pro-1", Image: "registry.example.com/acme/payments:v1@sha256:aa",
				SourceCommit: "0123abc", CIRun: "https://ci.example.com/1",
				Application: "payments", Environment: "dev", Path: "envs/dev/payments/kustomization.yaml", SourceRepo: "https://git.example.com/acme/payments"},
			{Release: "rel-2", Promotion: "pro-2", Image: "registry.example.com/acme/ledger:v2@sha256:bb",
				Application: "ledger", Environment: "dev", Path: "envs/dev/ledger/kustomization.yaml"},
		}}},
		{"trailers without body lines", "svc: stage ← 1.0.1\n\nFerry-Release: rel_gen_1\nFerry-Promotion: prm_gen_1\n",
			Message{Entries: []Entry{{Release: "rel_gen_1", Promotion: "prm_gen_1"}}}},
		{"promotion ids without a release", "fix\n\nFerry-Promotion: p-1\nFerry-Promotion: p-2\n",
			Message{Entries: []Entry{{Promotion: "p-1"}, {Promotion: "p-2"}}}},
		{"other trailers around", "s\n\nCo-authored-by: a\nFerry-Release: r\nSigned-off-by: x <x@y>\nFerry-Promotion: p\n",
			Message{Entries: []Entry{{Release: "r", Promotion: "p"}}}},
		{"Ferry keys in prose are not trailers", "s\n\nFerry-Promotion: p-1\n\nJust prose here.\n", Message{}},
		{"a human merge", "Merge branch 'ferry/x/prod' into main\n", Message{}},
		{"empty", "", Message{}},
	} {
		if got := Parse(tc.msg); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestTrailerBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, msg string
		want      []field
	}{
		{"subject only", "Promote app\n", nil},
		{"subject that looks like a trailer", "Ferry-Release: r1\n", nil},
		{"trailers after the subject", "Promote\n\nFerry-Release: r1\nFerry-Digest: sha256:ab\n",
			[]field{{"Ferry-Release", "r1"}, {"Ferry-Digest", "sha256:ab"}}},
		{"body then trailers", "Promote\n\nSome body text.\nMore: not a trailer block below\n\nA: 1\nB: 2",
			[]field{{"A", "1"}, {"B", "2"}}},
		{"repeated key", "s\n\nCo-authored-by: a\nCo-authored-by: b\n", []field{{"Co-authored-by", "a"}, {"Co-authored-by", "b"}}},
		{"last paragraph is prose", "s\n\nA: 1\n\nJust prose here.\n", nil},
		{"mixed block without git trailer", "s\n\nA: 1\nnot a trailer\n", nil},
		{"mixed block with Signed-off-by", "s\n\nA: 1\nSigned-off-by: x <x@y>\nnot a trailer\n",
			[]field{{"A", "1"}, {"Signed-off-by", "x <x@y>"}}},
		{"continuation line", "s\n\nNote: first\n  second\nB: 2\n", []field{{"Note", "first second"}, {"B", "2"}}},
		{"space before colon", "s\n\nKey : v\n", []field{{"Key", "v"}}},
		{"key with space is not a trailer", "s\n\nNot a key: v\n", nil},
		{"trailing blank lines", "s\n\nA: 1\n\n\n", []field{{"A", "1"}}},
		{"CRLF", "s\r\n\r\nA: 1\r\n", []field{{"A", "1"}}},
		{"patch separator", "s\n\nA: 1\n---\n diff\n", []field{{"A", "1"}}},
		{"url value", "s\n\nFerry-CI: https://ci.example/run/1\n", []field{{"Ferry-CI", "https://ci.example/run/1"}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := trailerBlock(tt.msg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("trailerBlock(%q) = %v, want %v", tt.msg, got, tt.want)
			}
		})
	}
}

func TestSplitImage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ref, repo, tag, digest string }{
		{"registry.example.com:5000/acme/payments:v1.2@sha256:aa", "registry.example.com:5000/acme/payments", "v1.2", "sha256:aa"},
		{"127.0.0.1:5000/acme/x:latest@sha256:bb", "127.0.0.1:5000/acme/x", "latest", "sha256:bb"},
		{"registry.example.com:5000/acme/payments@sha256:aa", "", "", ""},
		{"acme/payments:v1", "", "", ""},
	} {
		repo, tag, digest, ok := SplitImage(tc.ref)
		if repo != tc.repo || tag != tc.tag || digest != tc.digest || ok != (tc.repo != "") {
			t.Errorf("SplitImage(%q) = %q %q %q %v", tc.ref, repo, tag, digest, ok)
		}
	}
}
