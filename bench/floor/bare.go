package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"strconv"
)

// answerFunc answers a request for path with a status and a JSON body.
type answerFunc func(path string) (int, []byte)

// serveBare serves HTTP/1.1 on ln with the least a Go server can do: a
// goroutine a connection, the request line and headers read in place, any
// body skipped by its Content-Length, and one write an answer, always kept
// alive. No chunked bodies, no pipelining guarantees beyond order, no
// timeouts: enough for wrk and the runner's checks, and a bound on what
// net/http itself costs a request.
func serveBare(ln net.Listener, answer answerFunc) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			if err := serveConn(c, c, answer); !errors.Is(err, io.EOF) {
				log.Print(err)
			}
			_ = c.Close()
		}()
	}
}

// serveConn answers the requests read from r on w, in order, until r ends
// (io.EOF) or sends something that is not a request it can read.
func serveConn(r io.Reader, w io.Writer, answer answerFunc) error {
	br := bufio.NewReaderSize(r, 4096)
	out := make([]byte, 0, 16384)
	for {
		path, err := readRequest(br)
		if err != nil {
			return err
		}
		status, body := answer(path)
		out = append(out[:0], "HTTP/1.1 "...)
		out = strconv.AppendInt(out, int64(status), 10)
		out = append(out, " \r\nContent-Type: application/json\r\nContent-Length: "...)
		out = strconv.AppendInt(out, int64(len(body)), 10)
		out = append(out, "\r\n\r\n"...)
		out = append(out, body...)
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
}

var errBadRequest = errors.New("not a request the bare floor reads")

// readRequest reads one request's head and skips its body, and returns its
// path.
func readRequest(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	// METHOD SP PATH SP VERSION
	_, rest, ok := bytes.Cut(line, []byte(" "))
	path, _, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok || !ok2 || len(path) == 0 {
		return "", errBadRequest
	}
	p := string(path)
	length := 0
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return "", err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return "", errBadRequest
		}
		if bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil || length < 0 {
				return "", errBadRequest
			}
		}
	}
	if _, err := r.Discard(length); err != nil {
		return "", err
	}
	return p, nil
}
