package pglocal

import (
	"strings"
	"testing"
)

func TestMissingBinariesSayHowToInstall(t *testing.T) {
	t.Setenv("PG_BIN", t.TempDir())
	_, err := Config()
	if err == nil || !strings.Contains(err.Error(), "PG_BIN") || !strings.Contains(err.Error(), "pg_ctl") {
		t.Fatalf("Config with an empty PG_BIN = %v; want an error naming PG_BIN and pg_ctl", err)
	}
}

func TestBadPort(t *testing.T) {
	t.Setenv("CARTOGRAPH_PGPORT", "eighty")
	if _, err := Config(); err == nil || !strings.Contains(err.Error(), "CARTOGRAPH_PGPORT") {
		t.Fatalf("Config with a bad port = %v", err)
	}
}

func TestURL(t *testing.T) {
	got := URL(54329, "cartograph")
	if got != "postgres://postgres@127.0.0.1:54329/cartograph?sslmode=disable" {
		t.Errorf("URL = %s", got)
	}
}
