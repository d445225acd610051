package graph

import (
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// opCache keeps a value per parsed operation, for work that depends on
// the operation's text alone: gqlgen's query cache hands every request
// with the same text the same document, so an operation's pointer stands
// for its text. Callers keep only what no variable can change (operations
// that declare none). The cache keeps its operations' documents alive, so
// it holds at most maxCachedOps and is emptied when full.
type opCache[V any] struct {
	mu sync.RWMutex
	m  map[*ast.OperationDefinition]V
}

// maxCachedOps matches gqlgen's query cache (graph/handler.go).
const maxCachedOps = 1000

func (c *opCache[V]) get(op *ast.OperationDefinition) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[op]
	return v, ok
}

func (c *opCache[V]) put(op *ast.OperationDefinition, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedOps {
		c.m = make(map[*ast.OperationDefinition]V)
	}
	c.m[op] = v
}
