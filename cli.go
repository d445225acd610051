package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"cartograph/cartograph"
	"cartograph/db/pglocal"
)

// keysCommand serves `keys create|list|revoke`: an operator at the command
// line acts for any org. `keys create` prints the new key alone on the last
// line of stdout, so scripts can take it with `tail -n1`.
func keysCommand(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("keys needs create, list or revoke\n%s", usage)
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	ctx := context.Background()
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	switch sub {
	case "create":
		name := fs.String("name", "", "key name, unique in its org")
		scope := fs.String("scope", "read", "read or write")
		role := fs.String("role", "user", "admin or user")
		org := fs.String("org", cartograph.DefaultOrg, "org the key belongs to")
		expires := fs.Duration("expires", 0, "lifetime, e.g. 720h; 0 = never expires")
		if err := fs.Parse(args); err != nil {
			return err
		}
		in := cartograph.NewAPIKey{Name: *name, OrgID: *org, Scope: cartograph.Scope(*scope), Role: cartograph.Role(*role)}
		if *expires != 0 {
			in.ExpiresIn = expires
		}
		store, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer store.Close()
		k, err := store.Keys.Issue(ctx, in)
		if err != nil {
			return err
		}
		fmt.Printf("Created key %q (org %s, scope %s, role %s). It is shown once:\n%s\n",
			k.Key.Name, k.Key.OrgID, k.Key.Scope, k.Key.Role, k.Secret)
		return nil
	case "list":
		if err := fs.Parse(args); err != nil {
			return err
		}
		store, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer store.Close()
		keys, err := store.Keys.ListAll(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ORG\tNAME\tPREFIX\tSCOPE\tROLE\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\t%s\t%s\t%s\t%v\n", k.OrgID, k.Name, k.Prefix, k.Scope, k.Role,
				k.CreatedAt.Format(time.RFC3339), timeOrDash(k.ExpiresAt), timeOrDash(k.LastUsedAt), k.Revoked)
		}
		return tw.Flush()
	case "revoke":
		org := fs.String("org", "", "org of the key (needed only when several orgs have a key of that name)")
		if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
			args = append(args[1:], args[0]) // allow `revoke NAME --org X`
		}
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: keys revoke NAME [--org ORG]")
		}
		store, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer store.Close()
		k, err := store.Keys.RevokeIn(ctx, *org, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Printf("Revoked key %q of org %s.\n", k.Name, k.OrgID)
		return nil
	}
	return fmt.Errorf("unknown keys command %q\n%s", sub, usage)
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// pgCommand serves `pg status|stop` for the private cluster.
func pgCommand(args []string) error {
	c, err := pglocal.Config()
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: pg status | pg stop")
	}
	switch args[0] {
	case "status":
		if port, ok := c.Running(); ok {
			fmt.Printf("running: %s\n", pglocal.URL(port, localDatabase))
		} else {
			fmt.Printf("stopped (data directory %s)\n", c.Dir)
		}
		return nil
	case "stop":
		return c.Stop(context.Background())
	}
	return fmt.Errorf("usage: pg status | pg stop")
}
