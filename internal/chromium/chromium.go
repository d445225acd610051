// Package chromium runs Debian's headless Chromium for the page tests, cut off
// from every host but 127.0.0.1, so a page that renders proves it needs
// nothing from the internet.
package chromium

import (
	"os"
	"os/exec"
	"testing"
)

// Run loads url in a fresh headless Chromium with the extra flags (such as
// --dump-dom or --screenshot=FILE) and returns what it printed. Without
// Chromium the test is skipped, except in CI, which installs it.
func Run(t *testing.T, url string, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is required in CI (.ci/run installs it)")
		}
		t.Skip("chromium not installed (apt-get install -y chromium)")
	}
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`,
		"--virtual-time-budget=15000"}
	out, err := exec.Command(bin, append(append(args, extra...), url)...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return string(out)
}
