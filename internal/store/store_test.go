package store

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []Cursor{
		{CreatedAt: time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC), ID: "prm-1"},
		{CreatedAt: time.Date(1960, 1, 1, 0, 0, 0, 1000, time.UTC), ID: "id with spaces and ünïcode"},
		{CreatedAt: time.Time{}, ID: "x"},
	} {
		got, err := DecodeCursor(c.Encode())
		if err != nil {
			t.Fatalf("DecodeCursor(Encode(%+v)) = %v", c, err)
		}
		if !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
			t.Errorf("round trip of %+v = %+v", c, got)
		}
	}
}

func TestPageLimit(t *testing.T) {
	for _, tc := range []struct {
		in, want int
		invalid  bool
	}{
		{0, DefaultLimit, false}, {1, 1, false}, {MaxLimit, MaxLimit, false},
		{-1, 0, true}, {MaxLimit + 1, 0, true},
	} {
		got, err := PageLimit(tc.in)
		if tc.invalid {
			if e, ok := derrors.As(err); !ok || e.Kind != derrors.Invalid || e.Code != "invalid_limit" {
				t.Errorf("PageLimit(%d) error = %v, want invalid_limit", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PageLimit(%d) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	ms, err := Migrations(fstest.MapFS{
		"0010_later.sql": file("B"), "0002_second.sql": file("A2"), "0001_init.sql": file("A1"), "README": file("x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+"="+m.SQL)
	}
	if want := "0001_init.sql=A1 0002_second.sql=A2 0010_later.sql=B"; strings.Join(got, " ") != want {
		t.Errorf("Migrations() = %s, want %s", strings.Join(got, " "), want)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no version":        {"init.sql": file("")},
		"zero version":      {"0000_init.sql": file("")},
		"duplicate version": {"0001_a.sql": file(""), "1_b.sql": file("")},
	} {
		if _, err := Migrations(fsys); err == nil {
			t.Errorf("%s: Migrations() = nil error", name)
		}
	}
}

func TestRebind(t *testing.T) {
	q := "SELECT a FROM t WHERE b = ? AND (c, d) < (?, ?) LIMIT ?"
	if got := (Dialect{}).rebind(q); got != q {
		t.Errorf("rebind with ? placeholders = %q, want it unchanged", got)
	}
	want := "SELECT a FROM t WHERE b = $1 AND (c, d) < ($2, $3) LIMIT $4"
	if got := (Dialect{Numbered: true}).rebind(q); got != want {
		t.Errorf("rebind with numbered placeholders = %q, want %q", got, want)
	}
}
