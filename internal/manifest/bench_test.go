package manifest

import (
	"bytes"
	"fmt"
	"testing"
)

// fiveThousandLines builds a multi-document file of Deployments, about 5,000
// lines, where the target image appears once in every tenth document.
func fiveThousandLines() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() == 0 || bytes.Count(b.Bytes(), []byte("\n")) < 5000; i++ {
		img := fmt.Sprintf("ghcr.io/acme/service-%d:v1.0.%d", i, i)
		if i%10 == 0 {
			img = "ghcr.io/acme/payments:v1.0.0"
		}
		fmt.Fprintf(&b, `---
# Deployment %[1]d
apiVersion: apps/v1
kind: Deployment
metadata:
  name: service-%[1]d
  labels: {app: service-%[1]d, tier: backend}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: service-%[1]d
  template:
    metadata:
      labels:
        app: service-%[1]d
    spec:
      containers:
        - name: app
          image: %[2]s
          ports:
            - containerPort: 8080
          env:
            - name: MODE
              value: "production"
`, i, img)
	}
	return b.Bytes()
}

func BenchmarkSet5000Lines(b *testing.B) {
	src := fiveThousandLines()
	t := Target{Kind: Manifest, Image: "ghcr.io/acme/payments"}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		out, changed, err := Set("big.yaml", src, t, testImage)
		if err != nil || !changed || len(out) <= len(src) {
			b.Fatalf("Set: changed=%v err=%v", changed, err)
		}
	}
}

func TestFiveThousandLinesOnlyImagesChange(t *testing.T) {
	t.Parallel()
	src := fiveThousandLines()
	out, changed, err := Set("big.yaml", src, Target{Kind: Manifest, Image: "ghcr.io/acme/payments"}, testImage)
	if err != nil || !changed {
		t.Fatalf("Set: changed=%v err=%v", changed, err)
	}
	checkOnlyValuesChanged(t, src, out, testImage)
	want := bytes.Count(src, []byte("payments:v1.0.0"))
	if got := bytes.Count(out, []byte("payments:v1.4.2@"+testDigest)); got != want || want == 0 {
		t.Errorf("%d image fields set, want %d", got, want)
	}
}
