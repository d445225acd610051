package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
)

// importCommand serves `import --dir DIR [--org ORG] [--refused FILE]`: it loads the shared
// generator's NDJSON (entities, relations, costs) into an org in one
// transaction, prints a line per phase, and compares what it wrote with the
// directory's manifest.json. It fails when a count differs from the
// manifest's by more than the rows the catalog's rules refused.
func importCommand(args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	dir := fs.String("dir", "", "folder with entities.ndjson, relations.ndjson, costs.ndjson (optional) and manifest.json (optional)")
	org := fs.String("org", cartograph.DefaultOrg, "org to import into")
	refusedTo := fs.String("refused", "", "file to write the skipped entity lines to, as NDJSON: line, id, type, name and the rule each broke")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("import needs --dir\n%s", usage)
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{KeyName: "import", OrgID: *org, Scope: cartograph.ScopeWrite, Role: cartograph.RoleAdmin})
	open := func(name string, optional bool) (*os.File, error) {
		f, err := os.Open(filepath.Join(*dir, name))
		if optional && errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return f, err
	}
	ents, err := open("entities.ndjson", false)
	if err != nil {
		return err
	}
	defer ents.Close()
	rels, err := open("relations.ndjson", false)
	if err != nil {
		return err
	}
	defer rels.Close()
	src := db.ImportSource{Entities: ents, Relations: rels, Progress: func(p db.ImportPhase) {
		fmt.Printf("%-10s %9d rows  %7d skipped  %6.1fs  %8.0f rows/s\n", p.Name, p.Rows, p.Skipped, p.Duration.Seconds(),
			float64(p.Rows+p.Skipped)/max(p.Duration.Seconds(), 1e-3))
	}}
	costs, err := open("costs.ndjson", true)
	if err != nil {
		return err
	}
	if costs != nil {
		defer costs.Close()
		src.Costs = costs
	}
	// Opened first, so a path that cannot be written fails before the
	// import rather than after its commit.
	var list *os.File
	if *refusedTo != "" {
		if list, err = os.Create(*refusedTo); err != nil {
			return err
		}
		defer list.Close()
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	counts, err := store.Import(ctx, src)
	if err != nil {
		return err
	}
	fmt.Printf("imported into org %q in %.1fs\n", *org, time.Since(start).Seconds())
	if err := reportRefused(os.Stdout, counts.Refused, list); err != nil {
		return err
	}
	return checkManifest(*dir, counts)
}

// reportRefused prints how many entity lines each rule refused, per type,
// and writes every one of them to list as NDJSON when list is not nil, so
// an operator can see which lines to fix.
func reportRefused(w io.Writer, refused []db.RefusedEntity, list *os.File) error {
	if len(refused) == 0 {
		return nil
	}
	type group struct{ typ, rule string }
	n := map[group]int{}
	var order []group
	for _, r := range refused {
		g := group{r.Type, r.Rule}
		if n[g] == 0 {
			order = append(order, g)
		}
		n[g]++
	}
	fmt.Fprintf(w, "skipped entity lines, by the rule they broke (CONTRACT.md §4):\n")
	for _, g := range order {
		fmt.Fprintf(w, "  %-12s %-24s %7d\n", g.typ, g.rule, n[g])
	}
	if list == nil {
		fmt.Fprintln(w, "  (--refused FILE lists them, line by line)")
		return nil
	}
	enc := json.NewEncoder(list)
	for _, r := range refused {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if err := list.Sync(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  listed in %s\n", list.Name())
	return nil
}

// checkManifest prints the import's counts beside manifest.json's and fails
// if they differ by more than the skipped rows explain.
func checkManifest(dir string, got *db.ImportCounts) error {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var m struct {
		Counts struct {
			Entities, Relations, Costs int
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("manifest.json: %w", err)
	}
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "\tmanifest\timported\tskipped\t")
	rows := []struct {
		name                    string
		want, imported, skipped int
	}{
		{"entities", m.Counts.Entities, got.Entities, got.SkippedEntities},
		{"relations", m.Counts.Relations, got.Relations, got.SkippedRelations},
		{"cost rows", m.Counts.Costs, got.Costs, got.SkippedCosts},
	}
	var bad []string
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t\n", r.name, r.want, r.imported, r.skipped)
		if r.want != 0 && r.imported+r.skipped != r.want {
			bad = append(bad, r.name)
		}
	}
	_ = w.Flush()
	if len(bad) > 0 {
		return fmt.Errorf("counts differ from manifest.json for %v", bad)
	}
	if got.SkippedEntities+got.SkippedRelations+got.SkippedCosts > 0 {
		fmt.Println("skipped rows broke a catalog rule (an id, name or resource identity already taken, a relation to a skipped entity); see docs/benchmarks.md, \"Skipped rows\"")
	}
	return nil
}
