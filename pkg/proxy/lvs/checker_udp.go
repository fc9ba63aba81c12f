package lvs

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
)

// udpProbe is UDP_CHECK's attempt (udp_check_thread).
func (c *checker) udpProbe(t checks.Target) func(ctx context.Context) attempt {
	cs := c.spec
	p := checks.UDP{Payload: cs.Payload, RequireReply: cs.RequireReply, Reply: cs.Reply, ReplyMask: cs.ReplyMask,
		MinReply: cs.MinReply, MaxReply: cs.MaxReply}
	if p.MaxReply == 0 {
		p.MaxReply = -1 // max_reply_length 0: every reply is too long
	}
	return func(ctx context.Context) attempt {
		r := p.Run(ctx, t)
		switch {
		case r.OK:
			return attempt{ok: true, weight: -1}
		case r.Status == checks.StatusL7RSP:
			return attempt{reason: fmt.Sprintf("UDP check to %s reply data mismatch.", c.name), weight: -1}
		}
		return attempt{reason: fmt.Sprintf("UDP connection to %s failed.", c.name), weight: -1}
	}
}

// pingProbe is PING_CHECK's attempt (icmp_check_thread).
func (c *checker) pingProbe(t checks.Target) func(ctx context.Context) attempt {
	v6 := c.spec.Connect.Addr().Is6()
	return func(ctx context.Context) attempt {
		r := checks.Ping{}.Run(ctx, t)
		switch {
		case r.OK:
			return attempt{ok: true, weight: -1}
		case r.Status == checks.StatusL4TOUT:
			return attempt{reason: fmt.Sprintf("ICMP connection to address %s timeout.", c.name), weight: -1}
		}
		a := attempt{reason: fmt.Sprintf("ICMP connection to %s of %s failed.", c.name, c.svc), weight: -1}
		// keepalived logs these whatever log_all_failures says
		switch {
		case strings.HasPrefix(r.Info, "got ICMP packet with type "):
			a.note = "Got ICMP packet with type " + strings.TrimPrefix(r.Info, "got ICMP packet with type ")
		case strings.HasPrefix(r.Info, "recv ICMP packet error"):
			a.note = "recv ICMP packet error"
		case strings.HasPrefix(r.Info, "send ICMP packet fail"):
			a.note = "send ICMP packet fail"
			if v6 {
				// keepalived adds the errno for ICMPv6 only
				a.note, _, _ = strings.Cut(r.Info, " (")
			}
		}
		if a.note != "" && v6 {
			a.note = strings.Replace(a.note, "ICMP", "ICMPv6", 1)
		}
		return a
	}
}

// udpIcmpOutcome is udp_epilog and icmp_epilog: unlike TCP_CHECK, a
// failed attempt is retried only while the checker is up.
func (c *checker) udpIcmpOutcome(a attempt, logAll bool) time.Duration {
	cs := c.spec
	if a.note != "" {
		c.logf("%s", a.note)
	}
	if !a.ok && c.isUp && logAll && a.reason != "" {
		c.logf("%s", a.reason)
	}
	udp := cs.Type == "UDP_CHECK"
	delay := cs.DelayLoop
	if a.ok || ((c.isUp || !c.hasRun) && c.retryIt >= cs.Retry) {
		c.retryIt = 0
		switch {
		case a.ok && (!c.isUp || !c.hasRun):
			if udp {
				c.logf("UDP connection to %s success.", c.name)
				c.setState(true, "=> UDP CHECK succeed on service <=")
			} else {
				c.logf("ICMP connection to %s success.", c.name)
				c.setState(true, "=> ICMP CHECK succeed on service <=")
			}
		case !a.ok && (c.isUp || !c.hasRun):
			retried := cs.Retry > 0 && c.hasRun
			switch {
			case udp && retried:
				c.logf("UDP_CHECK on service %s failed after %d retries.", c.name, cs.Retry)
			case udp:
				c.logf("UDP_CHECK on service %s failed.", c.name)
			case retried:
				c.logf("ICMP CHECK on service %s of %s failed after %d retries.", c.name, c.svc, cs.Retry)
			default:
				c.logf("ICMP CHECK on service %s failed.", c.name)
			}
			if udp {
				c.setState(false, "=> UDP CHECK failed on service <=")
			} else {
				c.setState(false, "=> ICMP CHECK failed on service <=")
			}
		}
	} else if c.isUp {
		delay = cs.DelayBeforeRetry
		c.retryIt++
	}
	c.hasRun = true
	return delay
}

// fileFault is IPVS_WEIGHT_FAULT: a FILE_CHECK in this state is down.
const fileFault = math.MinInt32

// fileStatus is update_track_file_status's verdict for one value: with
// weight 0 a non-zero value (a zero one with reverse) is a fault,
// otherwise value × weight (negated with reverse), bounded to 32 bits,
// the lowest value meaning fault.
func fileStatus(v int64, weight int, reverse bool) int {
	mult := int64(1)
	if reverse {
		mult = -1
	}
	if weight == 0 {
		if (v != 0) == (mult == 1) {
			return fileFault
		}
		return 0
	}
	p := v * int64(weight) * mult
	switch {
	case v != 0 && p/v != int64(weight)*mult:
		// overflow: the sign tells the bound
		if (v < 0) != (int64(weight)*mult < 0) {
			return math.MinInt32
		}
		return math.MaxInt32
	case p < math.MinInt32:
		return math.MinInt32
	case p > math.MaxInt32:
		return math.MaxInt32
	}
	return int(p)
}

// readTrackFile is process_track_file: the number at the start of the
// file's first 127 bytes (C strtol with base 0: decimal, 0x hex, 0
// octal; 0 when there is none or the file is missing or empty). ok is
// false for a number out of range, which keepalived logs and ignores.
func readTrackFile(path string) (v int64, ok bool, logLine string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, true, ""
	}
	defer f.Close()
	buf := make([]byte, 127)
	n, _ := f.Read(buf)
	if n <= 0 {
		return 0, true, ""
	}
	v, rangeErr := strtol(string(buf[:n]))
	if rangeErr || v < math.MinInt32 || v > math.MaxInt32+1 {
		return 0, false, fmt.Sprintf("Invalid number %d read from %s - ignoring", v, path)
	}
	return v, true, ""
}

// strtol is C's strtol(s, NULL, 0) on a 64-bit long: leading blanks, a
// sign, then 0x/0X hex, 0 octal or decimal digits as far as they go.
// rangeErr reports an overflow (the value is then the bound, as C's).
func strtol(s string) (v int64, rangeErr bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && isDigit(s[i+2], 16) {
		base, i = 16, i+2
	} else if i < len(s) && s[i] == '0' {
		base = 8
	}
	var u uint64
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for ; i < len(s) && isDigit(s[i], base); i++ {
		d, _ := strconv.ParseUint(s[i:i+1], 16, 8)
		if u > (limit-d)/base {
			rangeErr = true
			u = limit
			continue
		}
		u = u*base + d
	}
	if neg {
		if u == uint64(math.MaxInt64)+1 {
			return math.MinInt64, rangeErr
		}
		return -int64(u), rangeErr
	}
	return int64(u), rangeErr
}

func isDigit(c byte, base uint64) bool {
	var d uint64
	switch {
	case c >= '0' && c <= '9':
		d = uint64(c - '0')
	case c >= 'a' && c <= 'f':
		d = uint64(c-'a') + 10
	case c >= 'A' && c <= 'F':
		d = uint64(c-'A') + 10
	default:
		return false
	}
	return d < base
}

// fileInit runs init_file and reads the file's first value: it sets the
// checker's initial state (down on a fault) and its weight contribution.
func (c *checker) fileInit() {
	tf := c.spec.File
	if tf.InitFile {
		if _, err := os.Stat(tf.Path); err != nil || tf.Overwrite {
			if err := os.WriteFile(tf.Path, []byte(tf.InitValue+"\n"), 0o644); err != nil {
				c.logf("Unable to write track file %s - %v", tf.Path, err)
			}
		}
	}
	v, ok, line := readTrackFile(tf.Path)
	if !ok {
		c.logf("%s", line)
		v = 0
	}
	c.fileVal = v
	st := fileStatus(v, c.spec.FileWeight, c.spec.FileReverse)
	c.hasRun = true
	if st == fileFault {
		c.isUp = false
		return
	}
	c.isUp = true
	if c.spec.FileWeight != 0 {
		c.fileCur = st
	}
}

// filePoll is how often a FILE_CHECK looks at its file (keepalived is
// told by inotify).
const filePoll = 200 * time.Millisecond

// runFile follows the track file: process_update_checker_track_file_status.
func (c *checker) runFile(ctx context.Context) {
	for {
		if c.m.clock.Sleep(ctx, filePoll) != nil {
			return
		}
		v, ok, line := readTrackFile(c.spec.File.Path)
		if !ok {
			if line != c.fileBad {
				c.logf("%s", line)
			}
			c.fileBad = line
			continue
		}
		c.fileBad = ""
		if v == c.fileVal {
			continue
		}
		prev := fileStatus(c.fileVal, c.spec.FileWeight, c.spec.FileReverse)
		c.fileVal = v
		st := fileStatus(v, c.spec.FileWeight, c.spec.FileReverse)
		if st == prev {
			continue
		}
		switch {
		case st == fileFault:
			c.m.pool.adjustWeight(c.dest, -c.fileCur)
			c.fileCur = 0
			c.setState(false, "")
		case prev == fileFault:
			c.fileCur = st
			c.m.pool.adjustWeight(c.dest, st)
			c.setState(true, "")
		default:
			c.m.pool.setWeight(c.dest, c.m.pool.weightOf(c.dest)+st-prev)
			c.fileCur = st
		}
	}
}
