package main

import "testing"

func TestSpent(t *testing.T) {
	cases := []struct {
		name          string
		before, after map[int]int64
		want          int64
	}{
		{"steady", map[int]int64{1: 10, 2: 5}, map[int]int64{1: 25, 2: 5}, 15},
		{"exited process left out", map[int]int64{1: 10, 2: 900}, map[int]int64{1: 30}, 20},
		{"new process from zero", map[int]int64{1: 10}, map[int]int64{1: 12, 3: 7}, 9},
		{"nothing alive", map[int]int64{1: 10}, map[int]int64{}, 0},
	}
	for _, c := range cases {
		if got := spent(c.before, c.after); got != c.want {
			t.Errorf("%s: spent = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestStatTicks(t *testing.T) {
	cases := []struct {
		line string
		want int64
		ok   bool
	}{
		{"42 (postgres) S 1 42 42 0 -1 4194560 300 0 0 0 17 4 0 0 20 0 1 0 100 1000 10", 21, true},
		{"43 (node (worker) x) R 1 43 43 0 -1 4194560 300 0 0 0 100 50 0 0 20 0 1 0 100 1000 10", 150, true},
		{"44 (short) S 1", 0, false},
		{"garbage", 0, false},
	}
	for _, c := range cases {
		got, ok := statTicks(c.line)
		if got != c.want || ok != c.ok {
			t.Errorf("statTicks(%q) = %d, %v; want %d, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}
