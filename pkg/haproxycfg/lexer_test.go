package haproxycfg

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSplitLine(t *testing.T) {
	env := mapEnv{"A": "x", "TWO": "a  b", "E": ""}
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"", []string{}, ""},
		{"   \t ", []string{}, ""},
		{"# comment", []string{}, ""},
		{"a b\tc", []string{"a", "b", "c"}, ""},
		{"a#b", []string{"a"}, ""},
		{`a\#b "#" '#'`, []string{"a#b", "#", "#"}, ""},
		{`"a"b'c d'\ e`, []string{"abc d e"}, ""},
		{`$A "$A" '$A' "${A}y" "\$A"`, []string{"$A", "x", "$A", "xy", "$A"}, ""},
		{`\$A`, []string{`\$A`}, ""},
		{`"${NOPE-def val}" "${E-def}" "${A-def}"`, []string{"def val", "", "x"}, ""},
		{`"${TWO[*]}" z`, []string{"a", "b", "z"}, ""},
		{`"x${TWO[*]}y"`, []string{"xa", "by"}, ""},
		{`"$TWO[*]"`, []string{"a  b[*]"}, ""},
		{`\x41\x4a\t\q\\`, []string{"AJ\t\\q\\"}, ""},
		{`"\$\x41\"\'"`, []string{`$A"'`}, ""},
		{`'a\'`, []string{`a\`}, ""},
		{`a\`, []string{`a\`}, ""},
		{`\x00abc`, []string{""}, ""},
		{"a\rb c", []string{"a"}, ""},
		{"a\vb", []string{"a", "b"}, ""},
		{`x ""`, []string{"x"}, ""},
		{`"" x`, []string{"", "x"}, ""},
		{`x "" y`, []string{"x", "", "y"}, ""},
		{"caf\xc3\xa9", []string{"caf\xc3\xa9"}, ""},
		{`"abc`, nil, "unmatched quote at position 1"},
		{`  'abc`, nil, "unmatched quote at position 3"},
		{`a\x4g`, nil, "truncated or invalid hexadecimal sequence at position 2"},
		{`"${A"`, nil, "unmatched brace in environment variable name at position 3"},
		{`"${A:-x}"`, nil, "unmatched brace in environment variable name at position 3"},
		{`"$1"`, nil, "forbidden first char in environment variable name at position 3"},
		{`"${.FOO}"`, nil, "forbidden first char in environment variable name at position 4"},
		{`"${TWO[x]}"`, nil, "truncated or invalid word expansion sequence at position 7"},
	}
	for _, tt := range tests {
		got, err := SplitLine(tt.in, env)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("SplitLine(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("SplitLine(%q) unexpected error %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCondition(t *testing.T) {
	ce := &condEnv{env: mapEnv{"X": "1", "EMPTY": ""}, version: Version, features: Features, ssllib: SSLLibVersion}
	tests := []struct {
		cond string
		want bool
		err  string // haproxy's message, verified with haproxy 2.6
		pos  int    // 1-based position haproxy reports
	}{
		{"", false, "", 0},
		{"1", true, "", 0},
		{"0", false, "", 0},
		{"-1", true, "", 0},
		{"+0", false, "", 0},
		{"0x10 && !0", true, "", 0},
		{"!!1 || !(0)", true, "", 0},
		{"defined(X)", true, "", 0},
		{"defined(EMPTY)", true, "", 0},
		{"defined(NOPE)", false, "", 0},
		{"defined", false, "", 0},
		{"defined()", false, "", 0},
		{"feature(OPENSSL) && !feature(QUIC) && !feature(PCRE2_J)", true, "", 0},
		{"streq(a,a) && 0", false, "", 0},
		{"streq(,)", true, "", 0},
		{"strneq(a,b)", true, "", 0},
		{"streq(a b,a b)", true, "", 0},
		{"version_atleast(2.6.12)", true, "", 0},
		{"version_atleast(2.6.13)", false, "", 0},
		{"version_atleast(2.6-dev)", true, "", 0},
		{"version_before(2.6.12-1)", true, "", 0},
		{"version_atleast(abc)", true, "", 0},
		{"version_before(abc)", false, "", 0},
		{"ssllib_name_startswith(Open)", true, "", 0},
		{"0 || 1 && 0", false, "", 0},
		{"1 || 0 && 0", true, "", 0},
		{"1 foo", false, "unexpected character 'f' at the end of conditional expression '1 foo'", 3},
		{"foo(1)", false, "unparsable conditional expression 'foo(1)'", 1},
		{"strstr(abc,b)", false, "unparsable conditional expression 'strstr(abc,b)'", 1},
		{"enabled(FOO)", false, "unparsable conditional expression 'enabled(FOO)'", 1},
		{"streq(a)", false, "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression", 8},
		{"streq()", false, "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression", 7},
		{"streq(a,b,c)", false, "expected ')' before ',c)' in argument 1 of predicate 'streq' used in conditional expression", 10},
		{"defined(a", false, "expected ')' in argument 1 of predicate 'defined' used in conditional expression", 10},
		{"(1", false, "expected ')' after conditional expression '(1'", 1},
		{"1 )", false, "unexpected character ')' at the end of conditional expression '1 )'", 3},
		{"()", false, "unparsable conditional expression ')'", 2},
		{"!", false, "unparsable conditional expression '!'", 1},
		{"1 &&", false, "unparsable conditional expression '&&'", 3},
		{"1 ||", false, "unparsable conditional expression '1 ||'", 3},
		{"&& 1", false, "unparsable conditional expression '&& 1'", 1},
		{"1 & 1", false, "unexpected character '&' at the end of conditional expression '1 & 1'", 3},
		{"08", false, "unexpected character '8' at the end of conditional expression '08'", 2},
		{"0x", false, "unexpected character 'x' at the end of conditional expression '0x'", 2},
		{" ", false, "unparsable conditional sub-expression ' '", 1},
		{"defined (X)", false, "unexpected character '(' at the end of conditional expression 'defined (X)'", 9},
		{"defined(X)b", false, "unexpected character 'b' at the end of conditional expression 'defined(X)b'", 11},
	}
	for _, tt := range tests {
		got, err := ce.evalCondition(tt.cond)
		if tt.err != "" {
			if err == nil || err.msg != tt.err || err.pos+1 != tt.pos {
				t.Errorf("cond %q: err = %+v, want %q at %d", tt.cond, err, tt.err, tt.pos)
			}
			continue
		}
		if err != nil {
			t.Errorf("cond %q: unexpected error %+v", tt.cond, err)
			continue
		}
		if got != tt.want {
			t.Errorf("cond %q = %v, want %v", tt.cond, got, tt.want)
		}
	}
	// deep nesting must fail cleanly, not overflow the stack
	deep := strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000)
	if _, err := ce.evalCondition(deep); err == nil {
		t.Errorf("deeply nested condition accepted")
	}
}

func TestSplitVersion(t *testing.T) {
	tests := []struct {
		v    string
		want [7]uint32
		ok   bool
	}{
		{"1.2.1-pre2", [7]uint32{1, 2, 1, 0, 2, 2, 0}, true},
		{"1.2.1", [7]uint32{1, 2, 1, 0, 3, 0, 0}, true},
		{"1.2.10.1", [7]uint32{1, 2, 10, 1, 3, 0, 0}, true},
		{"1.3.16-rc1", [7]uint32{1, 3, 16, 0, 2, 1, 0}, true},
		{"1.5-dev18-43", [7]uint32{1, 5, 0, 0, 1, 18, 43}, true},
		{"2.4-dev18-f6818d-20", [7]uint32{2, 4, 0, 0, 1, 18, 20}, true},
		{"2.6.12-1+deb12u4", [7]uint32{2, 6, 12, 0, 3, 0, 0}, true},
		{"", [7]uint32{0, 0, 0, 0, 3, 0, 0}, false},
		{"abc", [7]uint32{0, 0, 0, 0, 3, 0, 0}, false},
	}
	for _, tt := range tests {
		got, ok := splitVersion(tt.v)
		if got != tt.want || ok != tt.ok {
			t.Errorf("splitVersion(%q) = %v,%v want %v,%v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

// lexString runs the lexer on text and returns the lines and diagnostics.
func lexString(text string, opt LexOptions) ([]string, []string) {
	var diags Diags
	var lines []string
	lexData("t.cfg", []byte(text), opt, &diags, func(l Line) {
		lines = append(lines, fmt.Sprintf("%d:%q", l.Pos.Line, l.Args))
	})
	var ds []string
	for _, d := range diags {
		ds = append(ds, "["+d.Sev.Tag()+"] "+d.String())
	}
	return lines, ds
}

// TestLexerMessages records haproxy 2.6 messages verified with the oracle
// (haproxy -c -f t.cfg). The text is what follows "parsing [t.cfg:N]: ".
func TestLexerMessages(t *testing.T) {
	tests := []struct {
		cfg  string
		want []string
	}{
		{"global\n.notice \"hello world\"\n", []string{"[NOTICE] parsing [t.cfg:2]: 'hello world'."}},
		{"global\n.warning w\n", []string{"[WARNING] parsing [t.cfg:2]: 'w'."}},
		{"global\n.diag d\n", nil},
		{"global\n.alert \"bad\"\n.notice after\n", []string{"[ALERT] parsing [t.cfg:2]: 'bad'."}},
		{"global\n.notice a b\n", []string{"[ALERT] parsing [t.cfg:2]: Unexpected argument 'b' for '.notice'. Use quotes if the message should contain spaces."}},
		{"global\n.notice\n", []string{"[NOTICE] parsing [t.cfg:2]: ''."}},
		{"global\n.foo\n.notice x\n", []string{"[ALERT] parsing [t.cfg:2]: unknown directive '.foo'."}},
		{"global\n.if 1\n.notice in\n", []string{"[NOTICE] parsing [t.cfg:3]: 'in'.", "[ALERT] parsing [t.cfg:3]: non-terminated '.if' block."}},
		{"global\n.endif\n", []string{"[ALERT] parsing [t.cfg:2]: lone '.endif' with no matching '.if'."}},
		{"global\n.else\n", []string{"[ALERT] parsing [t.cfg:2]: lone '.else' with no matching '.if'."}},
		{"global\n.elif 1\n", []string{"[ALERT] parsing [t.cfg:2]: lone '.elif' with no matching '.if'."}},
		{"global\n.if 1\n.else\n.else\n.endif\n", []string{"[ALERT] parsing [t.cfg:4]: '.else' after '.else' is not permitted."}},
		{"global\n.if 1\n.else\n.elif 1\n.endif\n", []string{"[ALERT] parsing [t.cfg:4]: '.elif' after '.else' is not permitted."}},
		{"global\n.if 1\n.endif x\n.notice after\n", []string{"[ALERT] parsing [t.cfg:3]: Unexpected argument 'x' for '.endif'.", "[ALERT] parsing [t.cfg:3]: non-terminated '.if' block."}},
		{"global\n.if 1 foo\n", []string{"[ALERT] parsing [t.cfg:2]: unexpected character 'f' at the end of conditional expression '1 foo' in '.if' at position 3:\n  .if 1 foo\n        ^"}},
		{"global\n.if 0\n.elif foo(\n.endif\n", []string{"[ALERT] parsing [t.cfg:3]: unparsable conditional expression 'foo(' in '.elif' at position 1:\n  .elif foo(\n        ^"}},
		{"global\n .notice a\x00b c\n.notice after\n", []string{"[NOTICE] parsing [t.cfg:2]: 'a'.", "[ALERT] parsing [t.cfg:2]: Stray NUL character at position 11."}},
		{"global\n .notice nolf", []string{"[NOTICE] parsing [t.cfg:2]: 'nolf'.", "[ALERT] parsing [t.cfg:2]: Missing LF on last line, file might have been truncated at position 14."}},
		{".notice \"${NOPE-x}\" foo\nglobal\n", []string{"[ALERT] parsing [t.cfg:1]: unmatched brace in environment variable name at position 11:\n  .notice \"${NOPE-x\n            ^"}},
		{"global\n[]\n[f/o]\n[fo] x\n[ok] # c\n", []string{
			"[ALERT] parsing [t.cfg:2] : empty scope name is forbidden.",
			"[ALERT] parsing [t.cfg:3] : character '/' is not permitted in a scope name.",
			"[ALERT] parsing [t.cfg:4] : character 'x' is not permitted after scope declaration."}},
	}
	for _, tt := range tests {
		_, got := lexString(tt.cfg, LexOptions{Env: mapEnv{}})
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("config %q:\ngot:\n%s\nwant:\n%s", tt.cfg, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
	_, got := lexString("global\n.diag d\n", LexOptions{Env: mapEnv{}, Diagnostic: true})
	if want := "[DIAG] parsing [t.cfg:2]: 'd'."; len(got) != 1 || got[0] != want {
		t.Errorf(".diag in diagnostic mode = %q, want %q", got, want)
	}
}

// setEnv is a mutable Env, like the parser's (setenv/unsetenv).
type setEnv map[string]string

func (m setEnv) Lookup(name string) (string, bool) { v, ok := m[name]; return v, ok }

func TestReadFilesEnvPerLine(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.cfg")
	os.WriteFile(f, []byte("global\n setenv X one\n val \"$X\"\n setenv X two\n val \"$X\"\n.if streq(\"$X\",two)\n ok\n.endif\n"), 0o644)
	env := setEnv{}
	var got []string
	var diags Diags
	err := ReadFiles([]string{f}, LexOptions{Env: env}, &diags, func(l Line) {
		if l.Args[0] == "setenv" {
			env[l.Args[1]] = l.Args[2]
		}
		got = append(got, strings.Join(l.Args, " "))
	})
	if err != nil || len(diags) != 0 {
		t.Fatalf("err=%v diags=%v", err, diags)
	}
	want := []string{"global", "setenv X one", "val one", "setenv X two", "val two", "ok"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestConfigFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.cfg", "a.cfg", ".h.cfg", "x.conf", "A.cfg", "x.cfg.bak", "c.CFG", "_z.cfg", "1.cfg", "a.cfg.cfg"} {
		os.WriteFile(filepath.Join(dir, n), []byte("global\n"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub.cfg"), 0o755)
	os.Symlink("a.cfg", filepath.Join(dir, "link.cfg"))
	os.Symlink("sub.cfg", filepath.Join(dir, "dlink.cfg"))
	got, err := ConfigFiles([]string{dir, filepath.Join(dir, "x.conf")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range got {
		names = append(names, strings.TrimPrefix(g, dir+"/"))
	}
	want := []string{"1.cfg", "A.cfg", "_z.cfg", "a.cfg", "b.cfg", "link.cfg", "x.conf"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("got %q want %q", names, want)
	}
	os.Symlink("nowhere", filepath.Join(dir, "broken.cfg"))
	if _, err := ConfigFiles([]string{dir}); err == nil || err.Error() != "Cannot open configuration file "+dir+" : No such file or directory" {
		t.Errorf("broken symlink: %v", err)
	}
	if _, err := ConfigFiles([]string{"/nonexistent"}); err == nil || err.Error() != "Cannot open configuration file/directory /nonexistent : No such file or directory" {
		t.Errorf("missing path: %v", err)
	}
}

func TestReadFilesAbortStopsAllFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.cfg"), filepath.Join(dir, "b.cfg")
	os.WriteFile(a, []byte("global\n.alert stop\n"), 0o644)
	os.WriteFile(b, []byte("global\n"), 0o644)
	var diags Diags
	n := 0
	ReadFiles([]string{a, b}, LexOptions{Env: mapEnv{}}, &diags, func(Line) { n++ })
	if n != 1 {
		t.Errorf("lines after abort: %d", n)
	}
	if len(diags) != 2 || diags[1].Msg != "Error(s) found in configuration file : "+a {
		t.Errorf("diags %v", diags)
	}
}

func BenchmarkReadFiles10k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("global\n")
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, "    http-request set-header X-Test-%d \"value ${HOME} %d\" if { path_beg /foo } # c\n", i, i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		var diags Diags
		lexData("bench.cfg", data, LexOptions{Env: mapEnv{"HOME": "/root"}}, &diags, func(Line) {})
	}
}
