package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// chromiumBinary returns Debian's chromium (the real binary, not the
// wrapper script), or stops t.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	testenv.Unavailable(t, "chromium is not installed (make test-deps installs it from Debian)")
	return ""
}

// cdp is a minimal Chrome DevTools Protocol client over the
// --remote-debugging-pipe file descriptors: JSON messages ended by NUL.
type cdp struct {
	mu      sync.Mutex
	w       *os.File
	nextID  int
	pending map[int]chan cdpMsg
	events  chan cdpMsg
	session string
	done    chan struct{}
	err     error
}

type cdpMsg struct {
	ID        int                       `json:"id,omitempty"`
	Method    string                    `json:"method,omitempty"`
	Params    json.RawMessage           `json:"params,omitempty"`
	Result    json.RawMessage           `json:"result,omitempty"`
	Error     *struct{ Message string } `json:"error,omitempty"`
	SessionID string                    `json:"sessionId,omitempty"`
}

func newCDP(r, w *os.File) *cdp {
	c := &cdp{w: w, pending: map[int]chan cdpMsg{}, events: make(chan cdpMsg, 256), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		br := bufio.NewReaderSize(r, 1<<20)
		for {
			raw, err := br.ReadBytes(0)
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			var m cdpMsg
			if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
				continue
			}
			if m.ID != 0 {
				c.mu.Lock()
				ch := c.pending[m.ID]
				delete(c.pending, m.ID)
				c.mu.Unlock()
				if ch != nil {
					ch <- m
				}
				continue
			}
			select {
			case c.events <- m:
			default: // nobody listens for that many events: drop
			}
		}
	}()
	return c
}

// send sends a command without waiting for its answer.
func (c *cdp) send(method string, params any) (chan cdpMsg, error) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan cdpMsg, 1)
	c.pending[id] = ch
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if c.session != "" && !strings.HasPrefix(method, "Target.") {
		msg["sessionId"] = c.session
	}
	b, _ := json.Marshal(msg)
	_, err := c.w.Write(append(b, 0))
	c.mu.Unlock()
	return ch, err
}

// call sends a command and waits for its result, answering the browser's
// Fetch events (authentication, paused requests) meanwhile.
func (c *cdp) call(ctx context.Context, method string, params any, result any) error {
	ch, err := c.send(method, params)
	if err != nil {
		return err
	}
	for {
		select {
		case m := <-ch:
			if m.Error != nil {
				return fmt.Errorf("%s: %s", method, m.Error.Message)
			}
			if result != nil {
				return json.Unmarshal(m.Result, result)
			}
			return nil
		case ev := <-c.events:
			c.handle(ev)
		case <-c.done:
			return fmt.Errorf("%s: the browser went away: %v", method, c.err)
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", method, ctx.Err())
		}
	}
}

// waitEvent waits for an event, answering Fetch events meanwhile.
func (c *cdp) waitEvent(ctx context.Context, method string) error {
	for {
		select {
		case ev := <-c.events:
			if ev.Method == method {
				return nil
			}
			c.handle(ev)
		case <-c.done:
			return fmt.Errorf("waiting for %s: the browser went away: %v", method, c.err)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", method, ctx.Err())
		}
	}
}

// credentials the browser gives when the page asks for them
var cdpUser, cdpPass = "admin", "admin"

func (c *cdp) handle(ev cdpMsg) {
	var p struct {
		RequestID string `json:"requestId"`
	}
	json.Unmarshal(ev.Params, &p)
	switch ev.Method {
	case "Fetch.requestPaused":
		c.send("Fetch.continueRequest", map[string]any{"requestId": p.RequestID})
	case "Fetch.authRequired":
		c.send("Fetch.continueWithAuth", map[string]any{"requestId": p.RequestID,
			"authChallengeResponse": map[string]any{"response": "ProvideCredentials", "username": cdpUser, "password": cdpPass}})
	}
}

// artefactDir is where tests keep what a person may want to look at: the
// ARTEFACTS directory, or artefacts/ at the top of the repository
// (ignored by git).
func artefactDir(t *testing.T) string {
	dir := os.Getenv("ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(testenv.RepoRoot(), "artefacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStatsPageInChromium loads gohaproxy's stats page in headless
// Chromium, logs in through the browser's authentication challenge,
// drains a server with the admin form and checks the page and the CSV
// export show it DRAIN. The screenshot is kept as
// artefacts/statspage-drained.png (or under $ARTEFACTS).
func TestStatsPageInChromium(t *testing.T) {
	browser := chromiumBinary(t)
	bin := testenv.Binary(t, "gohaproxy")
	dir := t.TempDir()
	text, port := statsConfig(t)
	cfg := filepath.Join(dir, "gohaproxy.cfg")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	startProxy(t, bin, "-db", "-f", cfg)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	toBrowser, fromTest, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromBrowser, toTest, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "profile")
	cmd := exec.Command(browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--user-data-dir="+profile, "--remote-debugging-pipe", "--window-size=1400,900", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, toTest} // fd 3: commands in, fd 4: answers out
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers stay in its group
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toBrowser.Close()
	toTest.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		fromTest.Close()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		// helpers that outlived the browser, still in its group
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		fromBrowser.Close()
	})
	c := newCDP(fromBrowser, fromTest)
	fail := func(err error) {
		t.Helper()
		t.Fatalf("%v\nchromium's output:\n%s", err, tail(stderr.String(), 2000))
	}
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		fail(err)
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call(ctx, "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		fail(err)
	}
	c.session = att.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable"} {
		if err := c.call(ctx, m, nil, nil); err != nil {
			fail(err)
		}
	}
	if err := c.call(ctx, "Fetch.enable", map[string]any{"handleAuthRequests": true,
		"patterns": []map[string]any{{"urlPattern": "*"}}}, nil); err != nil {
		fail(err)
	}
	eval := func(expr string) string {
		t.Helper()
		var r struct {
			Result struct {
				Value any `json:"value"`
			} `json:"result"`
			ExceptionDetails *struct{ Text string } `json:"exceptionDetails"`
		}
		if err := c.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
			fail(err)
		}
		if r.ExceptionDetails != nil {
			fail(errors.New("javascript: " + r.ExceptionDetails.Text + " in " + expr))
		}
		return fmt.Sprint(r.Result.Value)
	}
	url := "http://" + addr + "/stats"
	if err := c.call(ctx, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		fail(err)
	}
	if err := c.waitEvent(ctx, "Page.loadEventFired"); err != nil {
		fail(err)
	}
	if got := eval(`document.title`); got != "Statistics Report for HAProxy" {
		t.Fatalf("after logging in the title is %q (page: %.300s)", got, eval(`document.body ? document.body.innerText : ""`))
	}
	if got := eval(`document.querySelector("a[name='be/a']").closest("tr").className`); got != "active_no_check" {
		t.Errorf("server be/a's row is %q before the drain", got)
	}
	// tick be/a, choose "Set state to DRAIN", apply
	eval(`(function(){
		var cb = document.querySelector("input.be-checkbox[value='a']");
		cb.checked = true;
		cb.form.querySelector("select[name=action]").value = "drain";
		cb.form.querySelector("input[type=submit]").click();
		return true;
	})()`)
	if err := c.waitEvent(ctx, "Page.loadEventFired"); err != nil {
		fail(err)
	}
	if got := eval(`location.pathname`); !strings.HasSuffix(got, "/stats;st=DONE") {
		t.Errorf("after the form the browser is at %q, want the 303's /stats;st=DONE", got)
	}
	if got := eval(`document.querySelector("div.active_up") ? document.querySelector("div.active_up").innerText : ""`); !strings.Contains(got, "Action processed successfully.") {
		t.Errorf("no success banner, got %q", got)
	}
	if got := eval(`document.querySelector("a[name='be/a']").closest("tr").className`); got != "active_draining" {
		t.Errorf("server be/a's row is %q after the drain, want active_draining", got)
	}
	if got := eval(`getComputedStyle(document.querySelector("a[name='be/a']").closest("tr")).backgroundColor`); got != "rgb(32, 160, 255)" {
		t.Errorf("the drained row's colour is %s, want haproxy's #20a0FF", got)
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := c.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot); err != nil {
		fail(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || len(png) < 1000 {
		t.Fatalf("bad screenshot (%d bytes): %v", len(png), err)
	}
	out := filepath.Join(artefactDir(t), "statspage-drained.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)
	// the CSV export agrees
	_, _, csv := statsRequest(t, addr, "GET", "/stats;csv", "admin:admin", "")
	found := false
	for _, l := range strings.Split(csv, "\n") {
		if f := strings.Split(l, ","); len(f) > 17 && f[0] == "be" && f[1] == "a" {
			found = true
			if f[17] != "DRAIN" {
				t.Errorf("CSV status of be/a is %q, want DRAIN", f[17])
			}
		}
	}
	if !found {
		t.Errorf("be/a missing from the CSV export:\n%s", csv)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// lockedWriter serialises writes from the exec package's copier.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
