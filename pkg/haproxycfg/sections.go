package haproxycfg

import (
	"strconv"
	"time"
)

// sectionKeyword describes a keyword of the small named sections.
type sectionKeyword struct {
	min, max int
	check    func(p *parser, ln Line) bool
}

// otherSectionKeywords: section -> keyword -> argument bounds.
var otherSectionKeywords = map[string]map[string]sectionKeyword{
	"userlist": {
		"user":  {min: 1, max: -1, check: checkUserLine},
		"group": {min: 1, max: -1},
	},
	"mailers": {
		"mailer":  {min: 2, max: 2, check: checkAddrArg(2, addrPeer)},
		"timeout": {min: 2, max: 2, check: checkTimeoutMail},
	},
	"peers": {
		"peer":           {min: 2, max: -1, check: checkAddrArg(2, addrPeer)},
		"bind":           {min: 1, max: -1, check: checkAddrArg(1, addrBind)},
		"server":         {min: 1, max: -1},
		"default-server": {min: 0, max: -1},
		"default-bind":   {min: 0, max: -1},
		"table":          {min: 1, max: -1},
		"disabled":       {min: 0, max: 0},
		"enabled":        {min: 0, max: 0},
		"log":            {min: 1, max: -1},
		"shards":         {min: 1, max: 1},
	},
	"resolvers": {
		"nameserver":            {min: 2, max: 2, check: checkAddrArg(2, addrPeer)},
		"parse-resolv-conf":     {min: 0, max: 0},
		"accepted_payload_size": {min: 1, max: 1},
		"hold":                  {min: 2, max: 2},
		"resolve_retries":       {min: 1, max: 1},
		"timeout":               {min: 2, max: 2},
	},
	"http-errors": {
		"errorfile": {min: 2, max: 2},
	},
	"cache": {
		"total-max-size":        {min: 1, max: 1, check: checkIntArg},
		"max-object-size":       {min: 1, max: 1, check: checkIntArg},
		"max-age":               {min: 1, max: 1, check: checkIntArg},
		"process-vary":          {min: 1, max: 1},
		"max-secondary-entries": {min: 1, max: 1, check: checkIntArg},
	},
	"program": {
		"command": {min: 1, max: -1},
		"user":    {min: 1, max: 1},
		"group":   {min: 1, max: 1},
		"option":  {min: 1, max: 1},
		"no":      {min: 2, max: 2},
	},
	"ring": {
		"description":  {min: 1, max: -1},
		"format":       {min: 1, max: 1},
		"maxlen":       {min: 1, max: 1, check: checkIntArg},
		"size":         {min: 1, max: 1},
		"timeout":      {min: 2, max: 2},
		"server":       {min: 2, max: -1},
		"backing-file": {min: 1, max: 1},
	},
}

func checkIntArg(p *parser, ln Line) bool {
	if _, err := strconv.Atoi(ln.Args[1]); err != nil {
		p.diags.Alertf(ln.Pos, "'%s' expects a positive numeric value.", ln.Args[0])
		return false
	}
	return true
}

func checkAddrArg(i int, use addrUse) func(p *parser, ln Line) bool {
	return func(p *parser, ln Line) bool {
		if _, err := parseAddress(ln.Args[i], use); err != nil {
			p.diags.Alertf(ln.Pos, "'%s %s' : %v", ln.Args[0], ln.Args[1], err)
			return false
		}
		return true
	}
}

func checkTimeoutMail(p *parser, ln Line) bool {
	if ln.Args[1] != "mail" {
		p.diags.Alertf(ln.Pos, "'timeout' expects 'mail' and <time> as arguments got '%s'.", ln.Args[1])
		return false
	}
	if _, err := parseTime(ln.Args[2], time.Millisecond, "timeout mail"); err != nil {
		p.diags.Alertf(ln.Pos, "%v", err)
		return false
	}
	return true
}

func checkUserLine(p *parser, ln Line) bool {
	for i := 2; i < len(ln.Args); i++ {
		switch ln.Args[i] {
		case "password", "insecure-password", "groups":
			if i+1 >= len(ln.Args) {
				p.diags.Alertf(ln.Pos, "'%s' expects an argument after '%s'.", ln.Args[0], ln.Args[i])
				return false
			}
			i++
		default:
			p.diags.Alertf(ln.Pos, "'%s' only supports 'password', 'insecure-password' and 'groups' options.", ln.Args[0])
			return false
		}
	}
	return true
}

func (p *parser) otherLine(ln Line) {
	kind := p.cur.kind
	kw := ln.Args[0]
	k, ok := otherSectionKeywords[kind][kw]
	if !ok {
		p.diags.Alertf(ln.Pos, "unknown keyword '%s' in '%s' section", kw, kind)
		return
	}
	n := len(ln.Args) - 1
	if n < k.min || (k.max >= 0 && n > k.max) {
		p.diags.Alertf(ln.Pos, "'%s' expects %s.", kw, argCountText(k.min, k.max))
		return
	}
	if k.check != nil && !k.check(p, ln) {
		return
	}
	d := Directive{Pos: ln.Pos, Args: ln.Args}
	switch {
	case p.cur.userlst != nil:
		if kw == "user" {
			p.cur.userlst.Users = append(p.cur.userlst.Users, d)
		} else {
			p.cur.userlst.Groups = append(p.cur.userlst.Groups, d)
		}
	case p.cur.mailers != nil:
		if kw == "timeout" {
			p.cur.mailers.Timeout, _ = parseTime(ln.Args[2], time.Millisecond, "timeout mail")
		} else {
			p.cur.mailers.Mailers = append(p.cur.mailers.Mailers, d)
		}
	case p.cur.herrs != nil:
		code, err := strconv.Atoi(ln.Args[1])
		if err != nil || !errorfileCodes[code] {
			p.diags.Alertf(ln.Pos, "status code '%s' not handled.", ln.Args[1])
			return
		}
		p.cur.herrs.Errorfiles[code] = ln.Args[2]
	case p.cur.other != nil:
		p.cur.other.Directives = append(p.cur.other.Directives, d)
	}
}
