package main

import (
	"fmt"
	"io"
	"os/user"
	"strconv"
	"syscall"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// dropIdentity does what haproxy does once its sockets are bound: chroot
// to the global "chroot" directory, then give up root for the global
// "gid"/"group" (dropping supplementary groups) and "uid"/"user". Go
// applies setgid/setuid to every thread of the process. It prints
// haproxy's alert and returns false when one step fails.
func dropIdentity(g *haproxycfg.Global, stderr io.Writer, pid int) bool {
	alert := func(format string, args ...any) bool {
		fmt.Fprintf(stderr, "[ALERT]    (%d) : [%s.main()] %s\n", pid, progname(), fmt.Sprintf(format, args...))
		return false
	}
	uid, gid := g.UID, g.GID
	if g.User != "" {
		u, err := user.Lookup(g.User)
		if err != nil {
			return alert("Cannot find user id for '%s' (%v): check the global 'user' line.", g.User, err)
		}
		uid, _ = strconv.Atoi(u.Uid)
	}
	if g.Group != "" {
		gr, err := user.LookupGroup(g.Group)
		if err != nil {
			return alert("Cannot find group id for '%s' (%v): check the global 'group' line.", g.Group, err)
		}
		gid, _ = strconv.Atoi(gr.Gid)
	}
	if g.Chroot != "" {
		if syscall.Chroot(g.Chroot) != nil || syscall.Chdir("/") != nil {
			return alert("Cannot chroot(%s).", g.Chroot)
		}
	}
	if gid != 0 {
		if groups, err := syscall.Getgroups(); err == nil && len(groups) > 0 && syscall.Setgroups(nil) != nil {
			fmt.Fprintf(stderr, "[WARNING]  (%d) : [%s.main()] Failed to drop supplementary groups. Using 'gid'/'group' without 'uid'/'user' is generally useless.\n", pid, progname())
		}
		if syscall.Setgid(gid) != nil {
			return alert("Cannot set gid %d.", gid)
		}
	}
	if uid != 0 && syscall.Setuid(uid) != nil {
		return alert("Cannot set uid %d.", uid)
	}
	return true
}
