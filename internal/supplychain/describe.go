package supplychain

import (
	"bytes"
	"io"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// describeUnverified says whose signature did not verify and why. The
// identity is read from the certificate without trusting it, only to tell
// the user what was found.
func describeUnverified(e verify.SignedEntity, err error) string {
	who := "keyless signature"
	if vc, verr := e.VerificationContent(); verr == nil && vc.Certificate() != nil {
		if s, serr := certificate.SummarizeCertificate(vc.Certificate()); serr == nil {
			who += " claiming " + s.SubjectAlternativeName + " (issuer " + s.Extensions.Issuer + ")"
		}
	}
	return who + " did not verify: " + err.Error()
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
