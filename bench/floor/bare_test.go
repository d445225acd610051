package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestReadRequest(t *testing.T) {
	tests := []struct {
		name, in string
		paths    []string // the requests read, in order
		err      error    // what ends the stream
	}{
		{"a GET", "GET /q1 HTTP/1.1\r\nHost: x\r\n\r\n", []string{"/q1"}, io.EOF},
		{"a POST's body skipped, then the next request",
			"POST /q1 HTTP/1.1\r\nContent-Length: 11\r\n\r\n{\"a\": \"b\"}\nGET /readyz HTTP/1.1\r\n\r\n",
			[]string{"/q1", "/readyz"}, io.EOF},
		{"header names in any case, bare LF line ends", "POST / HTTP/1.1\ncontent-length:  2\n\n{}", []string{"/"}, io.EOF},
		{"no path", "GET\r\n\r\n", nil, errBadRequest},
		{"a header with no colon", "GET / HTTP/1.1\r\nnonsense\r\n\r\n", nil, errBadRequest},
		{"a negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", nil, errBadRequest},
		{"a body cut short", "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n{}", nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(tt.in))
			var paths []string
			for {
				p, err := readRequest(r)
				if err != nil {
					if !errors.Is(err, tt.err) {
						t.Errorf("ended with %v, want %v", err, tt.err)
					}
					break
				}
				paths = append(paths, p)
			}
			if strings.Join(paths, " ") != strings.Join(tt.paths, " ") {
				t.Errorf("read %q, want %q", paths, tt.paths)
			}
		})
	}
}

// TestServeConn reads the bare floor's answers with net/http's own reader:
// two requests on one connection, each answered in order with its status,
// type and whole body, the connection kept alive.
func TestServeConn(t *testing.T) {
	client, server := net.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveConn(server, server, func(path string) (int, []byte) {
			if path == "/readyz" {
				return http.StatusServiceUnavailable, []byte(`"not yet"`)
			}
			return http.StatusOK, []byte(`{"data":{"path":"` + path + `"}}`)
		})
	}()
	go func() {
		_, _ = io.WriteString(client, "POST /q1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
	}()
	r := bufio.NewReader(client)
	for _, want := range []struct {
		status int
		body   string
	}{{200, `{"data":{"path":"/q1"}}`}, {503, `"not yet"`}} {
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != want.status || !bytes.Equal(body, []byte(want.body)) || res.Close ||
			res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("got %d %q (close %v, type %q), want %d %q kept alive",
				res.StatusCode, body, res.Close, res.Header.Get("Content-Type"), want.status, want.body)
		}
	}
	client.Close()
	if err := <-done; !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("serveConn ended with %v after the client closed", err)
	}
}
