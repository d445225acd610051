package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/live"
)

// Options tunes the GraphQL endpoint.
type Options struct {
	Logger *slog.Logger
	// MaxDepth is the deepest field nesting a query may have (default 12).
	MaxDepth int
	// MaxComplexity caps gqlgen's complexity score, in which a list field
	// counts its children once per item of its page (default 50000).
	MaxComplexity int
	// Hub delivers subscription events (nil: subscriptions answer UNAVAILABLE).
	Hub *live.Hub
	// Trace adds OpenTelemetry spans for operations, root fields and
	// dataloader batches (see tracing.Setup).
	Trace bool
	// GqlgenOnly runs every query through gqlgen's executor, turning off
	// the fast path for catalog reads (fastpath.go; GRAPHQL_FAST_READS=off).
	GqlgenOnly bool
}

// NewHandler returns the /graphql endpoint: POST and GET queries, and
// subscriptions over WebSocket (graphql-ws and graphql-transport-ws) with the
// API key in the connection's init payload.
func NewHandler(store *db.DB, cfg Options) http.Handler {
	return newServer(store, cfg, postJSON{})
}

// newServer builds the endpoint with post as its POST transport.
func newServer(store *db.DB, cfg Options, post graphql.Transport) *handler.Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = 12
	}
	if cfg.MaxComplexity <= 0 {
		cfg.MaxComplexity = 50000
	}
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{DB: store, Hub: cfg.Hub}, Complexity: complexity()})
	srv := handler.New(schema)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitFunc:              websocketAuth(store.Keys),
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(post)
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(20000)
	srv.AroundOperations(withLoaders(store))
	srv.Use(extension.Introspection{})
	srv.Use(&limits{maxDepth: cfg.MaxDepth, maxComplexity: cfg.MaxComplexity, costs: &opCache[opCost]{}})
	srv.Use(subscriptionEnd{})
	if cfg.Trace {
		srv.Use(traced{})
	}
	if !cfg.GqlgenOnly {
		// Last, so it runs inside the other extensions' interceptors.
		srv.Use(fastReads{schema: schema.(*executableSchema), trace: cfg.Trace, plans: &opCache[cachedPlans]{}})
	}
	srv.SetErrorPresenter(presentError(cfg.Logger))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		cfg.Logger.ErrorContext(ctx, "graphql panic", "panic", fmt.Sprint(v))
		return cartograph.InternalError(fmt.Errorf("panic: %v", v))
	})
	return srv
}

// websocketAuth authenticates a WebSocket connection by the key in its init
// payload: {"Api-Key": "..."} (any case) or {"Authorization": "Bearer ..."}.
func websocketAuth(keys *db.Keys) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		secret := ""
		for k, v := range p {
			s, _ := v.(string)
			switch strings.ToLower(k) {
			case "api-key", "apikey", "api_key":
				secret = s
			case "authorization":
				if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
					secret = s[7:]
				}
			}
		}
		if secret == "" {
			return ctx, nil, cartograph.Errorf(cartograph.Unauthenticated, "An API key is required in the connection_init payload")
		}
		actor, err := keys.Authenticate(ctx, secret)
		if err != nil {
			return ctx, nil, err
		}
		return cartograph.WithActor(ctx, actor), nil, nil
	}
}
