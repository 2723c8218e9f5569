package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadStateKeys(t *testing.T) {
	f := func(content string, want []string, wantErr string) {
		t.Helper()
		file := filepath.Join(t.TempDir(), "keys")
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		keys, err := readStateKeys(file)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Fatalf("%q: err %v, want %q", content, err, wantErr)
			}
			return
		}
		if err != nil || len(keys) != len(want) {
			t.Fatalf("%q: %q %v, want %q", content, keys, err, want)
		}
		for i := range want {
			if string(keys[i]) != want[i] {
				t.Fatalf("%q: key %d is %q, want %q", content, i, keys[i], want[i])
			}
		}
	}
	k1, k2 := strings.Repeat("a", 32), strings.Repeat("b", 64)
	f(k1+"\n", []string{k1}, "")
	f("# rotated 2026-12-01\n\n  "+k2+"  \n"+k1, []string{k2, k1}, "")
	f("short\n", nil, "line 1: a key needs at least 32 bytes")
	f("# nothing\n\n", nil, "no key")
}

// The options' flags reach the server, bad values are refused at start,
// and a rotated key file is picked up while serving.
func TestOptionFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--host-check", "maybe"},
		{"--list-ttl", "-1s"},
		{"--state-key-file", "/nonexistent/keys"},
	} {
		var stderr bytes.Buffer
		if code := run(append([]string{"serve", "--stdio"}, args...), strings.NewReader(""), io.Discard, &stderr); code != 2 {
			t.Fatalf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte(strings.Repeat("a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	s := startServer(t, "--http-stdlib", addr, "--list-ttl", "0", "--instructions", "say hi first",
		"--state-key-file", keys, "--state-key-poll", "50ms", "--host-check", "off", "--log-level", "info")
	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	req, _ := http.NewRequest("POST", "http://"+addr+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{`+meta+`}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "server/discover")
	req.Host = "mcp.example.com" // --host-check off
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ttlMs":0`) || !strings.Contains(string(body), `"instructions":"say hi first"`) {
		t.Fatalf("server/discover: %d %s", resp.StatusCode, body)
	}
	if err := os.WriteFile(keys, []byte(strings.Repeat("b", 32)+"\n"+strings.Repeat("a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		logs := s.stderr.String()
		s.mu.Unlock()
		if strings.Contains(logs, "requestState keys rotated") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rotated key file was not picked up: %s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
