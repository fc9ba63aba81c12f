package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// realHost answers keepalivedconf.Host from the running system, as
// keepalived does when it checks a configuration.
type realHost struct{}

func (realHost) InterfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

func (realHost) InterfaceIsLoopback(name string) bool {
	ifi, err := net.InterfaceByName(name)
	return err == nil && ifi.Flags&net.FlagLoopback != 0
}

func (realHost) ResolveHost(name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	return err == nil && len(addrs) > 0
}

func (realHost) UserExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

func (realHost) Script(cmd string) (found, secure bool) {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return false, false
	}
	path := f[0]
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return false, false
		}
		path = p
	}
	st, err := os.Stat(path)
	if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return false, false
	}
	secure = true
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid != 0 {
		secure = false
	}
	if st.Mode()&0o022 != 0 {
		secure = false
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if dst, err := os.Stat(dir); err == nil {
			if sys, ok := dst.Sys().(*syscall.Stat_t); ok && sys.Uid != 0 {
				secure = false
			}
			if dst.Mode()&0o022 != 0 && dst.Mode()&os.ModeSticky == 0 {
				secure = false
			}
		}
		if dir == "/" || dir == "." {
			break
		}
	}
	return true, secure
}
