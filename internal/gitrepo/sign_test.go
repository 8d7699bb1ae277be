package gitrepo

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// newKey returns an armored private key (locked with passphrase when it is
// not empty) and its armored public key.
func newKey(t *testing.T, passphrase string) (private, public string) {
	t.Helper()
	e, err := openpgp.NewEntity("Ferry", "test", "ferry@localhost", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if passphrase != "" {
		if err := e.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
			t.Fatal(err)
		}
	}
	var priv bytes.Buffer
	w, _ = armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return priv.String(), pub.String()
}

func TestCommitSigned(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, passphrase string }{
		{"plain key", ""},
		{"key with passphrase", "correct horse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			priv, pub := newKey(t, tt.passphrase)
			bare := newBare(t, envFiles())
			r := openRepo(t, Config{URL: bare, SigningKey: priv, SigningKeyPassphrase: tt.passphrase})
			res, err := r.Commit(context.Background(), "main", setFiles("Signed\n\nFerry-Release: r\n", map[string]string{"ferry.yaml": "signed\n"}))
			if err != nil {
				t.Fatal(err)
			}
			raw := git(t, bare, "cat-file", "commit", res.SHA)
			if !strings.Contains(raw, "\ngpgsig -----BEGIN PGP SIGNATURE-----") {
				t.Errorf("commit has no gpgsig header:\n%s", raw)
			}
			fsck(t, bare)

			// The signature verifies over the commit as git stores it.
			stored, err := gogit.PlainOpen(bare)
			if err != nil {
				t.Fatal(err)
			}
			c, err := stored.CommitObject(plumbing.NewHash(res.SHA))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Verify(pub); err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
		})
	}
}

func TestSigningKeyErrors(t *testing.T) {
	t.Parallel()
	priv, _ := newKey(t, "right")
	if _, err := Open(Config{URL: "/tmp/x", SigningKey: priv, SigningKeyPassphrase: "wrong"}, nil); err == nil || strings.Contains(err.Error(), "wrong") && strings.Contains(err.Error(), "right") {
		t.Errorf("wrong passphrase: err = %v", err)
	}
	if _, err := Open(Config{URL: "/tmp/x", SigningKey: "not a key"}, nil); err == nil {
		t.Error("a garbage key was accepted")
	}
}
