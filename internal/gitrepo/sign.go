package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// signer makes the armored detached OpenPGP signature git stores in a
// commit's gpgsig header.
type signer struct {
	entity *openpgp.Entity
}

// newSigner reads an armored private key and unlocks it with passphrase.
// A nil signer and nil error mean signing is off.
func newSigner(armored, passphrase string) (*signer, error) {
	if armored == "" {
		return nil, nil
	}
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("gitrepo: reading signing key: %w", err)
	}
	for _, e := range ring {
		if e.PrivateKey == nil {
			continue
		}
		if e.PrivateKey.Encrypted {
			if err := e.DecryptPrivateKeys([]byte(passphrase)); err != nil {
				return nil, errors.New("gitrepo: unlocking signing key: wrong passphrase")
			}
		}
		return &signer{entity: e}, nil
	}
	return nil, errors.New("gitrepo: signing key holds no private key")
}

// sign sets c.PGPSignature over the commit's encoding without a signature.
func (s *signer) sign(c *object.Commit) error {
	unsigned := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(unsigned); err != nil {
		return fmt.Errorf("encoding commit to sign: %w", err)
	}
	rd, err := unsigned.Reader()
	if err != nil {
		return fmt.Errorf("reading commit to sign: %w", err)
	}
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, s.entity, rd, nil); err != nil {
		return fmt.Errorf("signing commit: %w", err)
	}
	c.PGPSignature = sig.String()
	return nil
}
