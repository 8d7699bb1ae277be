package stdwebhook

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// The Standard Webhooks reference vector
// (github.com/standard-webhooks/standard-webhooks, libraries' tests).
func TestSignStandardVector(t *testing.T) {
	k, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign(k, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	k1, k2 := []byte("key-one-0123456789abcdef"), []byte("key-two-0123456789abcdef")
	body := []byte(`{"application":"payments"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign(k1, "msg_1", now.Unix(), body)
	for _, tc := range []struct {
		name        string
		keys        [][]byte
		id, ts, sig string
		body        []byte
		ok          bool
		detail      string
	}{
		{"valid", [][]byte{k1}, "msg_1", ts, good, body, true, ""},
		{"any of several keys", [][]byte{k2, k1}, "msg_1", ts, good, body, true, ""},
		{"any of several signatures", [][]byte{k1}, "msg_1", ts, "v1,bm9wZQ== " + good, body, true, ""},
		{"other schemes skipped", [][]byte{k1}, "msg_1", ts, "v1a,xyz " + good, body, true, ""},
		{"4m59s old", [][]byte{k1}, "msg_1", strconv.FormatInt(now.Unix()-299, 10), Sign(k1, "msg_1", now.Unix()-299, body), body, true, ""},
		{"5m01s old", [][]byte{k1}, "msg_1", strconv.FormatInt(now.Unix()-301, 10), Sign(k1, "msg_1", now.Unix()-301, body), body, false, "expired"},
		{"5m01s ahead", [][]byte{k1}, "msg_1", strconv.FormatInt(now.Unix()+301, 10), Sign(k1, "msg_1", now.Unix()+301, body), body, false, "future"},
		{"far future does not overflow", [][]byte{k1}, "msg_1", "9223372036854775807", good, body, false, "future"},
		{"negative timestamp", [][]byte{k1}, "msg_1", "-5", good, body, false, "Unix seconds"},
		{"timestamp in milliseconds", [][]byte{k1}, "msg_1", ts + "000", good, body, false, "future"},
		{"wrong key", [][]byte{k2}, "msg_1", ts, good, body, false, "no signature matches"},
		{"no keys", nil, "msg_1", ts, good, body, false, "no signature matches"},
		{"body changed", [][]byte{k1}, "msg_1", ts, good, append(bytes.Clone(body), ' '), false, "no signature matches"},
		{"id changed", [][]byte{k1}, "msg_2", ts, good, body, false, "no signature matches"},
		{"signature truncated", [][]byte{k1}, "msg_1", ts, good[:len(good)-4], body, false, "no v1"},
		{"signature without scheme", [][]byte{k1}, "msg_1", ts, good[3:], body, false, "no v1"},
		{"missing id", [][]byte{k1}, "", ts, good, body, false, "required"},
		{"missing timestamp", [][]byte{k1}, "msg_1", "", good, body, false, "required"},
		{"missing signature", [][]byte{k1}, "msg_1", ts, "", body, false, "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.keys, tc.id, tc.ts, tc.sig, tc.body, now)
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			de, ok := derrors.As(err)
			if !ok || de.Kind != derrors.Unauthenticated || de.Code != "bad_signature" {
				t.Fatalf("error %v, want Unauthenticated bad_signature", err)
			}
			if !bytes.Contains([]byte(de.Detail), []byte(tc.detail)) {
				t.Errorf("detail %q does not say %q", de.Detail, tc.detail)
			}
		})
	}
}

// FuzzVerify: Verify never panics; a signature over the
// exact id, timestamp and body always verifies; a change of any one byte
// of the body, the id or the timestamp never does.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("key-0123456789abcdef0123"), "msg_1", int64(0), []byte(`{"application":"payments"}`), uint(3), "v1,abc")
	f.Add([]byte{}, "", int64(-300), []byte{}, uint(0), "")
	f.Add([]byte("k"), "a.b", int64(299), []byte("x.y"), uint(7), "v1,"+Sign([]byte("k"), "a", 1, nil))
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, key []byte, id string, offset int64, body []byte, pos uint, sig string) {
		// Arbitrary input never panics, and verifies only by a real signature.
		_ = Verify([][]byte{key}, id, strconv.FormatInt(offset, 10), sig, body, now)

		ts := now.Unix() + offset%300 // inside the window
		tsStr := strconv.FormatInt(ts, 10)
		if id == "" || len(id) > 255 {
			id = "msg_1"
		}
		good := Sign(key, id, ts, body)
		if err := Verify([][]byte{key}, id, tsStr, good, body, now); err != nil {
			t.Fatalf("a valid signature does not verify: %v", err)
		}
		if len(body) > 0 {
			b := bytes.Clone(body)
			b[pos%uint(len(b))] ^= 1 + byte(pos>>8)%255
			if Verify([][]byte{key}, id, tsStr, good, b, now) == nil {
				t.Fatalf("body %q with a byte changed verifies", b)
			}
		}
		idb := []byte(id)
		idb[pos%uint(len(idb))] ^= 1 + byte(pos>>8)%255
		if Verify([][]byte{key}, string(idb), tsStr, good, body, now) == nil {
			t.Fatalf("id %q with a byte changed verifies", idb)
		}
		tb := []byte(tsStr)
		tb[pos%uint(len(tb))] ^= 1 + byte(pos>>8)%255
		if Verify([][]byte{key}, id, string(tb), good, body, now) == nil {
			t.Fatalf("timestamp %q with a byte changed verifies", tb)
		}
	})
}
