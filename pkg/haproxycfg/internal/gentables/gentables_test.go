package main

import (
	"reflect"
	"testing"
)

func TestParseArgs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []argKW
	}{
		{"", nil},
		{"backend", []argKW{{"backend", false}}},
		{"string[,string]", []argKW{{"string", false}, {"string", true}}},
		{"[string,integer]", []argKW{{"string", true}, {"integer", true}}},
		{"integer[,table]", []argKW{{"integer", false}, {"table", true}}},
		{"string,string[,string]", []argKW{{"string", false}, {"string", false}, {"string", true}}},
		{"IPv4 mask[,IPv6 mask]", []argKW{{"IPv4 mask", false}, {"IPv6 mask", true}}},
	} {
		if got := parseArgs(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseArgs(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestMinWords(t *testing.T) {
	for in, want := range map[string]int{
		"":                      0,
		"<name> <fmt>":          2,
		"<key fmt> <value fmt>": 2,
		"[realm <realm>]":       0,
		"{ server | tunnel } { <timeout> | <expr> }": 2,
		"time <time> [ at-least <bytes> ]":           2,
		"<sample> [ len <length> | id <id> ]":        1,
	} {
		if got := minWords(in); got != want {
			t.Errorf("minWords(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseOptKW(t *testing.T) {
	for in, want := range map[string]optKW{
		"accept-proxy":   {"accept-proxy", 0, false},
		"backlog +1":     {"backlog", 1, false},
		"ssl crt +1":     {"crt", 1, true},
		"source +-1":     {"source", -1, false},
		"ssl strict-sni": {"strict-sni", 0, true},
	} {
		if got := parseOptKW(in); got != want {
			t.Errorf("parseOptKW(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestIsHeading(t *testing.T) {
	lines := []string{
		"",
		"option abortonclose",
		"no option abortonclose",
		"  Enable or disable early dropping.",
		"",
		"values. Earlier versions used to synchronize it and to cause negative values in",
		"active-active setups, and always-growing values upon reloads or active-passive",
		"switches because the local value would reflect more connections than locally",
		"present.",
	}
	want := map[int]bool{1: true, 2: true}
	for i := range lines {
		if got := isHeading(lines, i); got != want[i] {
			t.Errorf("isHeading(%q) = %v", lines[i], got)
		}
	}
}
