package notify

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// UserID is the identity a script runs as (keepalived's script_user,
// "user [group]" after a notify script).
type UserID struct {
	UID, GID uint32
	// Groups are supplementary groups; nil clears them.
	Groups []uint32
}

// CurrentUser is the identity of this process.
func CurrentUser() UserID {
	return UserID{UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
}

// DefaultScriptUserName is the user keepalived runs scripts as when it
// exists and no script_user is configured.
const DefaultScriptUserName = "keepalived_script"

// LookupUser resolves "user [group]" as keepalived's script_user does:
// the group defaults to the user's primary group; a group written
// ":group" (or just ":") also sets the user's supplementary groups.
// Errors carry keepalived's messages ("Script user 'x' does not exist").
func LookupUser(name, group string) (UserID, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unk user.UnknownUserError
		if errors.As(err, &unk) {
			return UserID{}, fmt.Errorf("Script user '%s' does not exist", name)
		}
		return UserID{}, fmt.Errorf("Unable to resolve script username '%s' - ignoring", name)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return UserID{}, fmt.Errorf("Unable to resolve script username '%s' - ignoring", name)
	}
	id := UserID{UID: uint32(uid), GID: uint32(gid)}
	sup := false
	if strings.HasPrefix(group, ":") {
		sup, group = true, group[1:]
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			var unk user.UnknownGroupError
			if errors.As(err, &unk) {
				return UserID{}, fmt.Errorf("Script group '%s' does not exist", group)
			}
			return UserID{}, fmt.Errorf("Unable to resolve script group name '%s' - ignoring", group)
		}
		n, err := strconv.ParseUint(g.Gid, 10, 32)
		if err != nil {
			return UserID{}, fmt.Errorf("Unable to resolve script group name '%s' - ignoring", group)
		}
		id.GID = uint32(n)
	}
	if sup {
		ids, err := u.GroupIds()
		if err == nil {
			for _, s := range ids {
				if n, err := strconv.ParseUint(s, 10, 32); err == nil {
					id.Groups = append(id.Groups, uint32(n))
				}
			}
		}
	}
	return id, nil
}

// DefaultScriptUser is keepalived 2.2.7's default script identity: the
// user keepalived_script if it exists, else this process's uid/gid.
// With enable_script_security a missing keepalived_script is an error
// ("Unable to set default user keepalived_script for script"), unless a
// script_user is configured.
func DefaultScriptUser(scriptSecurity bool) (UserID, error) {
	id, err := LookupUser(DefaultScriptUserName, "")
	if err == nil {
		return id, nil
	}
	if scriptSecurity {
		return CurrentUser(), fmt.Errorf("Unable to set default user %s for script", DefaultScriptUserName)
	}
	return CurrentUser(), nil
}

// Verdict is the outcome of CheckScript.
type Verdict int

const (
	// Secure: the script may run.
	Secure Verdict = iota
	// Insecure: a path component is writable by non-root but script
	// security is off: the script runs, and keepalived warns ("SECURITY
	// VIOLATION - scripts are being executed but script_security not
	// enabled.").
	Insecure
	// Refused: the script must not run (not found, not executable, or
	// unsafe with enable_script_security).
	Refused
)

func (v Verdict) String() string {
	switch v {
	case Secure:
		return "secure"
	case Insecure:
		return "insecure"
	}
	return "refused"
}

// ScriptCheck is the result of CheckScript: the verdict, the argv to
// execute (a bare name resolved through PATH is replaced by the full path)
// and the messages keepalived logs for this script, in order.
type ScriptCheck struct {
	Verdict  Verdict
	Argv     []string
	Messages []string
}

// CheckScript applies keepalived 2.2.7's checks (check_script_secure) to
// argv run as id: a bare name is searched in PATH; the script must exist
// and be executable by id; when it runs as root (uid or gid 0, or a
// setuid/setgid-root file), every component of its path, and of the
// path it resolves to, must be owned by root and not writable by group
// (unless the group is root) or others (directories with the sticky bit
// excepted). With scriptSecurity (enable_script_security) an unsafe
// script is Refused, otherwise Insecure.
func CheckScript(argv []string, id UserID, scriptSecurity bool) ScriptCheck {
	res := ScriptCheck{Argv: append([]string(nil), argv...)}
	say := func(format string, a ...any) { res.Messages = append(res.Messages, fmt.Sprintf(format, a...)) }
	if len(argv) == 0 || argv[0] == "" {
		say("Cannot find script %s in path - disabling", "")
		res.Verdict = Refused
		return res
	}
	// "</file" only tests that a file can be opened: nothing is run.
	if a := argv[0]; a[0] == '<' && strings.HasPrefix(strings.TrimLeft(a[1:], " \t"), "/") {
		return res
	}
	name := argv[0]
	if !strings.Contains(name, "/") {
		found, eacces := lookPath(name, id)
		if found == "" {
			if eacces {
				say("Permissions failure for script %s in path - disabling", name)
			} else {
				say("Cannot find script %s in path - disabling", name)
			}
			res.Verdict = Refused
			return res
		}
		say("WARNING - script `%s` resolved by path search to `%s`. Please specify full path.", name, found)
		res.Argv[0] = found
		name = found
	}
	real, err := filepath.EvalSymlinks(name)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		say("Script %s cannot be accessed - %s", name, errnoText(err))
		res.Verdict = Refused
		return res
	}
	var st syscall.Stat_t
	if err := syscall.Stat(real, &st); err != nil {
		say("Unable to access script `%s` - disabling", name)
		res.Verdict = Refused
		return res
	}
	if !isExecutable(&st, id.UID, id.GID) {
		say("WARNING - script '%s' is not executable for uid:gid %d:%d - disabling.", name, id.UID, id.GID)
		res.Verdict = Refused
		return res
	}
	asRoot := id.UID == 0 || id.GID == 0 ||
		(st.Uid == 0 && st.Mode&syscall.S_IXUSR != 0 && st.Mode&syscall.S_ISUID != 0) ||
		(st.Gid == 0 && st.Mode&syscall.S_IXGRP != 0 && st.Mode&syscall.S_ISGID != 0)
	if !asRoot {
		return res
	}
	paths := []string{name}
	if real != name {
		paths = append(paths, real)
	}
	for _, p := range paths {
		v, msg := pathSecurity(p, scriptSecurity)
		if msg != "" {
			say("%s", msg)
		}
		if v > res.Verdict {
			res.Verdict = v
		}
		if v == Refused {
			break
		}
	}
	return res
}

// pathSecurity checks every component of path, from "/" down.
func pathSecurity(path string, scriptSecurity bool) (Verdict, string) {
	var prefixes []string
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			if i == 0 {
				prefixes = append(prefixes, "/")
			} else {
				prefixes = append(prefixes, path[:i])
			}
		}
	}
	prefixes = append(prefixes, path)
	for n, p := range prefixes {
		last := n == len(prefixes)-1
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
				return Refused, fmt.Sprintf("check_script_secure could not find script '%s' - disabling", path)
			}
			return Refused, fmt.Sprintf("check_script_secure('%s') returned errno %d - %s - disabling", path, int(err.(syscall.Errno)), errnoText(err))
		}
		typ := st.Mode & syscall.S_IFMT
		isDir, isReg := typ == syscall.S_IFDIR, typ == syscall.S_IFREG
		if (!last && !isDir) || (last && !isReg && typ != syscall.S_IFLNK) {
			return Refused, fmt.Sprintf("Wrong file type found in script path '%s'.", path)
		}
		if st.Uid != 0 ||
			(((isDir && st.Mode&syscall.S_ISVTX == 0) || isReg) &&
				((st.Gid != 0 && st.Mode&syscall.S_IWGRP != 0) || st.Mode&syscall.S_IWOTH != 0)) {
			if scriptSecurity {
				return Refused, fmt.Sprintf("Unsafe permissions found for script '%s' - disabling.", path)
			}
			return Insecure, fmt.Sprintf("Unsafe permissions found for script '%s'.", path)
		}
	}
	return Secure, ""
}

func isExecutable(st *syscall.Stat_t, uid, gid uint32) bool {
	m := st.Mode
	return (uid == 0 && m&(syscall.S_IXUSR|syscall.S_IXGRP|syscall.S_IXOTH) != 0) ||
		(uid == st.Uid && m&syscall.S_IXUSR != 0) ||
		(uid != st.Uid && ((gid == st.Gid && m&syscall.S_IXGRP != 0) || (gid != st.Gid && m&syscall.S_IXOTH != 0)))
}

// lookPath searches PATH for an executable regular file for id.
func lookPath(name string, id UserID) (string, bool) {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/bin:/usr/bin"
	}
	eacces := false
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			continue
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFREG || !isExecutable(&st, id.UID, id.GID) {
			eacces = true
			continue
		}
		return p, false
	}
	return "", eacces
}

// errnoText is strerror's text for err's errno, as keepalived prints it.
func errnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}
