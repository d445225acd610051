package model

import (
	"encoding/json"
	"strconv"
	"time"

	"cartograph/cartograph"
)

// Change is a change-log event as GraphQL shows it: the seq as its id and
// cursor, fields under their API names.
type Change struct {
	ID         string
	At         time.Time
	KeyName    string
	Operation  cartograph.ChangeOp
	ObjectType cartograph.ObjectType
	ObjectID   string
	Kind       *string
	Refs       []string
	Before     json.RawMessage
	After      json.RawMessage
}

// NewChange presents c.
func NewChange(c *cartograph.Change) *Change {
	out := &Change{
		ID: strconv.FormatInt(c.Seq, 10), At: c.At, KeyName: c.KeyName, Operation: c.Operation,
		ObjectType: c.ObjectType, ObjectID: c.ObjectID, Refs: c.Refs,
	}
	if out.Refs == nil {
		out.Refs = []string{}
	}
	if c.EntityType != "" {
		k := c.EntityType
		out.Kind = &k
	}
	out.Before, out.After = cartograph.PresentFields(c)
	return out
}

// ChangePage is a page of the change log.
type ChangePage struct {
	Items       []*Change
	EndCursor   *string
	HasNextPage bool
}
