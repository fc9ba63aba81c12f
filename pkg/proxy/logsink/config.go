package logsink

import (
	"fmt"
	"os"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// Configs turns "log" lines into sink configurations: the proxy's own
// lines (logs), with "log global" standing for the global section's
// lines. tag overrides the global log-tag when not empty (the proxy's
// "log-tag"); pid is the process id printed in the headers.
func Configs(g *haproxycfg.Global, logs []*haproxycfg.LogTarget, tag string, pid int) ([]Config, error) {
	var out []Config
	if tag == "" && g != nil {
		tag = g.LogTag
	}
	if tag == "" {
		tag = "haproxy"
	}
	host, sendHost := "", false
	if g != nil {
		for _, d := range g.Other {
			if len(d.Args) > 0 && d.Args[0] == "log-send-hostname" {
				sendHost = true
				if len(d.Args) > 1 {
					host = d.Args[1]
				} else if h, err := os.Hostname(); err == nil {
					host = h
				}
			}
		}
	}
	var add func(lt *haproxycfg.LogTarget, global bool) error
	add = func(lt *haproxycfg.LogTarget, global bool) error {
		if lt.Global {
			if global || g == nil {
				return nil
			}
			for _, gl := range g.Logs {
				if err := add(gl, true); err != nil {
					return err
				}
			}
			return nil
		}
		where := fmt.Sprintf("%s:%d", lt.Pos.File, lt.Pos.Line)
		if lt.Sample != "" {
			return fmt.Errorf("%s: 'log ... sample' is not supported by gohaproxy; remove the sample clause", where)
		}
		c := Config{Address: lt.Address, Header: Header{MaxLevel: LevelDebug, MaxLen: lt.Length, Tag: tag, PID: pid}}
		if _, err := ParseAddress(lt.Address); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		f := lt.Format
		if f == "" {
			f = "local"
			if sendHost {
				f = "rfc3164"
			}
		}
		var err error
		if c.Format, err = ParseFormat(f); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		if sendHost {
			c.Hostname = host
		}
		if c.Facility, err = ParseFacility(lt.Facility); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		if lt.Level != "" {
			if c.MaxLevel, err = ParseLevel(lt.Level); err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
		}
		if lt.MinLevel != "" {
			if c.MinLevel, err = ParseLevel(lt.MinLevel); err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
		}
		out = append(out, c)
		return nil
	}
	for _, lt := range logs {
		if err := add(lt, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}
