package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const editDigest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestRunEdit(t *testing.T) {
	t.Parallel()
	const input = "images:\n- name: ghcr.io/acme/payments # app\n  newTag: v1\n  digest: " + editDigest + "\n"
	const edited = "images:\n- name: ghcr.io/acme/payments # app\n  newTag: v2\n  digest: " + editDigest + "\n"
	ref := "ghcr.io/acme/payments:v2@" + editDigest
	tests := []struct {
		name       string
		args       []string // FILE is appended by the test where "FILE" appears
		content    string
		wantCode   int
		wantStdout string
		wantStderr string
		wantFile   string
	}{
		{"prints edited file", []string{"--kind", "kustomize", "FILE", ref}, input, 0, edited, "", input},
		{"in place", []string{"--kind", "kustomize", "--in-place", "FILE", ref}, input, 0, "", "", edited},
		{"check would change", []string{"--kind", "kustomize", "--check", "FILE", ref}, input, 1, "", "", input},
		{"check up to date", []string{"--kind", "kustomize", "--check", "FILE", ref}, edited, 0, "", "", edited},
		{"helm paths", []string{"--kind", "helm", "--tag-path", "app.version", "--digest-path", "app.sha", "FILE", ref},
			"app:\n  version: v1\n", 0, "app:\n  version: v2\n  sha: " + editDigest + "\n", "", "app:\n  version: v1\n"},
		{"helm default paths", []string{"--kind", "helm", "FILE", ref},
			"image:\n  tag: v1\n", 0, "image:\n  tag: v2@" + editDigest + "\n", "", "image:\n  tag: v1\n"},
		{"marker", []string{"--kind", "marker", "--name", "payments", "FILE", ref},
			"x: v1 # ferry:tag payments\n", 0, "x: v2@" + editDigest + " # ferry:tag payments\n", "", "x: v1 # ferry:tag payments\n"},
		{"refusal names file and line", []string{"--kind", "helm", "FILE", ref}, "image:\n  tag: [v1]\n", 2, "", "values.yaml:2: image.tag is a sequence, expected a string", "image:\n  tag: [v1]\n"},
		{"not found", []string{"--kind", "manifest", "FILE", ref}, "image: redis:7\n", 2, "", "values.yaml: no image: field of ghcr.io/acme/payments", "image: redis:7\n"},
		{"needs a digest", []string{"--kind", "kustomize", "FILE", "ghcr.io/acme/payments:v2"}, input, 2, "", "must be pinned", input},
		{"bad kind", []string{"--kind", "ansible", "FILE", ref}, input, 2, "", "--kind must be", input},
		{"marker needs name", []string{"--kind", "marker", "FILE", ref}, input, 2, "", "needs --name", input},
		{"missing args", []string{"--kind", "kustomize"}, input, 2, "", "usage: ferry edit", input},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(path, []byte(tt.content), 0o640); err != nil {
				t.Fatal(err)
			}
			args := append([]string(nil), tt.args...)
			for i, a := range args {
				if a == "FILE" {
					args[i] = path
				}
			}
			var stdout, stderr bytes.Buffer
			code := runEdit(args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantStdout)
			}
			if tt.wantStderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.wantFile {
				t.Errorf("file = %q, want %q", got, tt.wantFile)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o640 {
				t.Errorf("mode = %v, want 0640", info.Mode().Perm())
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the file (temporary file left behind?)", len(entries))
			}
		})
	}
}
