package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ChangesChannel is the NOTIFY channel the change log's sequencer signals on
// each commit, with the first and last seq it numbered.
const ChangesChannel = "cartograph_changes"

// Listener waits for change-log commits on a connection of its own (LISTEN
// needs a session that the pool would not keep).
type Listener struct {
	conn *pgx.Conn
}

// Listen opens the listener connection and subscribes to ChangesChannel.
func (d *DB) Listen(ctx context.Context) (*Listener, error) {
	conn, err := d.listenOn(ctx, ChangesChannel)
	if err != nil {
		return nil, err
	}
	return &Listener{conn: conn}, nil
}

// listenOn opens a session of its own that LISTENs on channel.
func (d *DB) listenOn(ctx context.Context, channel string) (*pgx.Conn, error) {
	if d.connConfig == nil {
		return nil, fmt.Errorf("listen: the store was not opened from a URL")
	}
	conn, err := pgx.ConnectConfig(ctx, d.connConfig.Copy())
	if err != nil {
		return nil, wrap(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, wrap(err)
	}
	return conn, nil
}

// Wait blocks until a commit is notified and returns the last seq it wrote.
func (l *Listener) Wait(ctx context.Context) (int64, error) {
	n, err := l.conn.WaitForNotification(ctx)
	if err != nil {
		return 0, err
	}
	_, last, _ := strings.Cut(n.Payload, " ")
	seq, err := strconv.ParseInt(last, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("listen: bad payload %q", n.Payload)
	}
	return seq, nil
}

// Close ends the listener's session.
func (l *Listener) Close(ctx context.Context) error { return l.conn.Close(ctx) }
