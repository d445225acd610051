// The relation neighbourhood of one entity, drawn with Cytoscape.js.
//
//   /graph?root=<id>&depth=2&labels=depends_on,has_environment&direction=BOTH
//
// The data comes from the GraphQL `graph` query, sent with the API key found
// in the URL fragment (#key=c8ak_...), this page's own storage, or the
// headers saved by GraphiQL; failing those, the page asks for it. The key is
// never put in the query string, so it stays out of logs and history.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const root = params.get('root') || '';
  const depth = Math.min(10, Math.max(1, parseInt(params.get('depth') || '2', 10) || 2));
  const allLabels = JSON.parse(document.body.dataset.labels || '[]');
  const labels = (params.get('labels') || '').split(',').map((s) => s.trim()).filter(Boolean);
  const direction = (params.get('direction') || 'BOTH').toUpperCase();
  const status = document.getElementById('status');

  const colors = {
    Service: '#2f6fde', Resource: '#d9822b', Library: '#7c5cc4', Repository: '#3d8c40', Manifest: '#8a6d3b',
    Environment: '#0f9d9a', System: '#c2185b', Application: '#5c6bc0', Person: '#6d4c41', Team: '#e64a19',
    Api: '#00897b', Base: '#607d8b',
  };

  function show(text, state) {
    status.textContent = text;
    status.className = state === 'error' ? 'error' : '';
    document.body.dataset.state = state;
  }

  function storedKey() {
    const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
    if (m) {
      const k = decodeURIComponent(m[1]);
      localStorage.setItem('cartograph:key', k);
      history.replaceState(null, '', location.pathname + location.search);
      return k;
    }
    const own = localStorage.getItem('cartograph:key');
    if (own) return own;
    try {
      const h = JSON.parse(localStorage.getItem('graphiql:headers') || '{}');
      for (const name of Object.keys(h)) {
        if (name.toLowerCase() === 'api-key' && /^c8ak_/.test(h[name])) return h[name];
      }
    } catch (e) { /* GraphiQL headers that are not JSON: ignore */ }
    return '';
  }

  function askForKey(message) {
    show(message, 'error');
    const form = document.getElementById('key-form');
    form.hidden = false;
    form.onsubmit = (ev) => {
      ev.preventDefault();
      const k = document.getElementById('key').value.trim();
      if (!k) return;
      localStorage.setItem('cartograph:key', k);
      form.hidden = true;
      load(k);
    };
  }

  const query = `query Neighbourhood($from: ID!, $labels: [String!]!, $direction: Direction!, $depth: Int!) {
  graph(from: $from, labels: $labels, direction: $direction, maxDepth: $depth, limit: 500) {
    nodes { depth entity { __typename id name } }
    edges { sourceId targetId label }
    truncated
  }
}`;

  async function load(key) {
    show('Loading…', 'loading');
    let body;
    try {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Api-Key': key },
        body: JSON.stringify({
          query,
          operationName: 'Neighbourhood',
          variables: { from: root, labels: labels.length ? labels : allLabels, direction, depth },
        }),
      });
      body = await res.json();
    } catch (e) {
      show('Could not reach /graphql: ' + e.message, 'error');
      return;
    }
    if (body.errors && body.errors.length) {
      const err = body.errors[0];
      const code = err.extensions && err.extensions.code;
      if (code === 'UNAUTHENTICATED') {
        localStorage.removeItem('cartograph:key');
        askForKey(err.message);
        return;
      }
      show(err.message + (code ? ' (' + code + ')' : ''), 'error');
      return;
    }
    draw(body.data.graph);
  }

  function draw(g) {
    const elements = [];
    const types = new Set();
    for (const n of g.nodes) {
      const t = n.entity.__typename;
      types.add(t);
      elements.push({ data: { id: n.entity.id, label: n.entity.name, type: t, depth: n.depth, color: colors[t] || '#616e7c' } });
    }
    g.edges.forEach((e, i) => {
      elements.push({ data: { id: 'e' + i, source: e.sourceId, target: e.targetId, label: e.label } });
    });
    const cy = cytoscape({
      container: document.getElementById('graph'),
      elements,
      wheelSensitivity: 0.3,
      style: [
        { selector: 'node', style: {
          'background-color': 'data(color)', label: 'data(label)', 'font-size': 11,
          'text-valign': 'bottom', 'text-margin-y': 4, width: 22, height: 22,
        } },
        { selector: 'node[depth = 0]', style: { width: 34, height: 34, 'border-width': 3, 'border-color': '#1f2933' } },
        { selector: 'edge', style: {
          width: 1.5, 'line-color': '#9aa5b1', 'target-arrow-color': '#9aa5b1', 'target-arrow-shape': 'triangle',
          'curve-style': 'bezier', label: 'data(label)', 'font-size': 9, color: '#52606d', 'text-rotation': 'autorotate',
        } },
      ],
      layout: { name: 'breadthfirst', directed: false, roots: [root], spacingFactor: 1.2, animate: false },
    });
    // Clicking an entity makes it the new root, keeping the other settings.
    cy.on('tap', 'node', (ev) => {
      const next = new URLSearchParams(location.search);
      next.set('root', ev.target.id());
      location.search = next.toString();
    });
    document.getElementById('legend').replaceChildren(...[...types].sort().map((t) => {
      const s = document.createElement('span');
      s.textContent = t;
      s.style.background = colors[t] || '#616e7c';
      return s;
    }));
    document.body.dataset.nodes = String(g.nodes.length);
    document.body.dataset.edges = String(g.edges.length);
    show(`${g.nodes.length} entities, ${g.edges.length} relations within ${depth} ` +
      (depth === 1 ? 'hop' : 'hops') + (g.truncated ? ' (cut at 500)' : ''), 'rendered');
  }

  if (!root) {
    show('Add ?root=<entity id> to the address (and optionally &depth=2&labels=depends_on,...).', 'error');
    return;
  }
  const key = storedKey();
  if (key) load(key); else askForKey('Enter an API key to read the catalog.');
})();
