package graph

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/graph/model"
	"cartograph/live"
)

// changePage reads a page of the change log for the history and changes
// queries.
func changePage(ctx context.Context, store *db.DB, q cartograph.ChangeQuery, first *int, after *string, newestFirst *bool) (*model.ChangePage, error) {
	q.Limit = deref(first, defaultPageSize)
	q.NewestFirst = deref(newestFirst, false)
	var err error
	if q.After, err = cartograph.ParseCursor(deref(after, "")); err != nil {
		return nil, err
	}
	items, more, err := store.Changes.List(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &model.ChangePage{Items: make([]*model.Change, len(items)), HasNextPage: more}
	for i, c := range items {
		page.Items[i] = model.NewChange(c)
	}
	if n := len(items); n > 0 {
		cursor := strconv.FormatInt(items[n-1].Seq, 10)
		page.EndCursor = &cursor
	}
	return page, nil
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// asOf returns the entity id as it was at t, through the operation's loader
// (one statement for every entity asked at the same time).
func asOf[T model.Entity](ctx context.Context, id string, t time.Time) (T, error) {
	var none T
	if t.IsZero() {
		return none, &cartograph.Error{Code: cartograph.Invalid, Field: "time", Message: "time must be a date-time"}
	}
	e, err := loadersFrom(ctx).entityAt.Load(ctx, timedKey{id, t.UnixNano()})()
	if err != nil || e == nil {
		return none, err
	}
	typed, _ := model.Wrap(e).(T)
	return typed, nil
}

// subscribe registers a subscription to the caller's org's changes with the
// hub and streams its events as GraphQL Changes until the client leaves or
// the hub drops it; a drop ends the stream with the hub's error (see
// subscriptionEnd).
func (r *Resolver) subscribe(ctx context.Context, spec live.Spec) (<-chan *model.Change, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	spec.OrgID = a.OrgID
	if r.Hub == nil {
		return nil, cartograph.Errorf(cartograph.Unavailable, "subscriptions are not served by this handler")
	}
	sub, err := r.Hub.Subscribe(ctx, spec)
	if err != nil {
		return nil, err
	}
	out := make(chan *model.Change)
	var oc *graphql.OperationContext
	if graphql.HasOperationContext(ctx) {
		oc = graphql.GetOperationContext(ctx)
	}
	go func() {
		defer close(out)
		for e := range sub.C {
			c := e.View(func(c *cartograph.Change) any { return model.NewChange(c) }).(*model.Change)
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
		if err := sub.Err(); err != nil && oc != nil {
			endedWith.Store(oc, err)
			context.AfterFunc(ctx, func() { endedWith.Delete(oc) })
		}
	}()
	return out, nil
}

// endedWith holds, per operation, the error that ended its stream.
var endedWith sync.Map // *graphql.OperationContext → error

// subscriptionEnd turns the end of a stream that the hub cut short into a
// last message carrying the error, before the transport completes the
// subscription: a dropped subscriber learns why.
type subscriptionEnd struct{}

var (
	_ graphql.HandlerExtension    = subscriptionEnd{}
	_ graphql.ResponseInterceptor = subscriptionEnd{}
)

func (subscriptionEnd) ExtensionName() string                   { return "SubscriptionEnd" }
func (subscriptionEnd) Validate(graphql.ExecutableSchema) error { return nil }

func (subscriptionEnd) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil {
		return resp
	}
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	if err, ok := endedWith.LoadAndDelete(graphql.GetOperationContext(ctx)); ok {
		graphql.AddError(ctx, err.(error))
		return &graphql.Response{Errors: graphql.GetErrors(ctx)}
	}
	return nil
}
