package haproxycfg

import "testing"

// FuzzLex feeds arbitrary file contents through the lexer; it must never
// panic, and every line it hands out must have a non-empty first word.
func FuzzLex(f *testing.F) {
	for _, s := range []string{
		"global\n  .notice \"${A[*]}\" # c\n",
		".if defined(A) && (streq(\"$A\",x) || !feature(OPENSSL))\n x\n.elif 1\n.else\n.endif\n",
		"a\\x4 '\"b\\\n[sc] x\n\x00\r\n",
		".if ((((1\n\"${A-d}\" \"${.LINE}\" \"${.X}\"\n",
	} {
		f.Add([]byte(s))
	}
	env := mapEnv{"A": "a  b", "E": ""}
	f.Fuzz(func(t *testing.T, data []byte) {
		var diags Diags
		lexData("f.cfg", data, LexOptions{Env: env, Diagnostic: true}, &diags, func(l Line) {
			if len(l.Args) == 0 || l.Args[0] == "" {
				t.Fatalf("empty line handed out: %q", l.Args)
			}
		})
		for _, d := range diags {
			_ = d.String()
		}
	})
}
