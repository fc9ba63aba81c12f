// Package lvs runs keepalived's virtual_server half (its "healthcheck
// child"): every real_server's checkers with keepalived 2.2.7's semantics
// and log lines (Manager), keeping a Table of virtual services and
// destinations in step, and a userspace layer 4 forwarder implementing
// that Table where the kernel has no IPVS (Forwarder), or the kernel's
// IPVS programmed over generic netlink (Kernel).
//
// # Checkers
//
// Services translates keepalivedconf's virtual_server / real_server /
// checker blocks, resolving each option checker first, then real_server,
// then virtual_server, then keepalived's default: delay_loop (60 s),
// connect_timeout (5 s), retry / nb_get_retry (1), delay_before_retry (3 s
// for HTTP_GET/SSL_GET, delay_loop for DNS_CHECK, 1 s otherwise), warmup
// (delay_loop: the first check runs 1 s + a random part of it after
// start), alpha, connect_ip/connect_port, bindto/bind_port,
// log_all_failures, inhibit_on_failure. A virtual_server without protocol
// is UDP, as keepalived 2.2.7 makes it.
//
// Each checker runs in its own goroutine with keepalived's retry rules:
// an up checker (or one that has not run) retries a failed attempt retry
// times, delay_before_retry apart, before it fails; TCP_CHECK and
// SMTP_CHECK retry also while down, HTTP_GET/SSL_GET do not. The log lines
// are keepalived's ("TCP connection to [10.0.0.2]:tcp:80 success.",
// "HTTP_CHECK on service [..]:tcp:.. failed after 3 retries.", "Remote Web
// server [..] succeed on service.", "MD5 digest success to [..] url(/)").
// The reason of each failed attempt ("MD5 digest error to server [..].",
// "HTTP status code error to server [..].", "TCP connection to [..]
// timeout.") is logged, as by keepalived 2.2.7, only with
// log_all_failures in the checker or checker_log_all_failures in
// global_defs. MISC_CHECK and DNS_CHECK lines follow keepalived's
// patterns but are not verified word for word.
//
// The pool logic is ipwrapper.c's: a real server leaves at its first
// failing checker and returns when none fails ("Removing service [..] from
// VS [..]", "Adding service [..] to VS [..]"); inhibit_on_failure keeps it
// in the table with weight 0 ("Disabling service [..] of VS [..]");
// quorum and hysteresis gate the sorry server ("Lost quorum 1-0=1 > 0 for
// VS [..]", "Adding sorry server [..] to VS [..]", "Removing alive servers
// from the pool for VS [..]"); misc_dynamic exit codes change the weight
// ("Changing weight from 1 to 5 for active service [..] of VS [..]");
// notify_up/notify_down/quorum_up/quorum_down and smtp_alert go to Hooks;
// omega runs the down notifications at shutdown.
//
// ha_suspend pauses a service's checkers while none of its virtual
// addresses is on the host (polled every second; keepalived's "Netlink
// reflector reports IP .. added" and "Activating/Suspending healthchecker"
// lines).
//
// UDP_CHECK sends its payload (hex as keepalived reads it, or a filler
// datagram) from a socket with IP_RECVERR: an ICMP destination
// unreachable fails the attempt, silence passes unless require_reply,
// whose hex string (X nibbles ignored) and min/max_reply_length the reply
// must match ("UDP connection to [..] success.", "UDP_CHECK on service
// [..] failed after N retries.", with log_all_failures "UDP connection to
// [..] failed." and "UDP check to [..] reply data mismatch."). PING_CHECK
// sends one ICMP or ICMPv6 echo per attempt through a ping socket, or a
// raw socket where ping_group_range forbids one (keepalived widens
// /proc/sys/net/ipv4/ping_group_range instead; gokeepalived does not
// change the host's sysctls): "ICMP connection to [..] success.", "ICMP
// CHECK on service [..] of [VS] failed after N retries.", "ICMP
// connection to address [..] timeout.". Both retry, as keepalived's
// udp_epilog and icmp_epilog, only while the checker is up.
//
// FILE_CHECK follows a top-level track_file (init_file creates or
// overwrites it at start) by reading it every 200 ms (keepalived uses
// inotify): the value, C strtol's reading of its first bytes (0 when
// missing), times the weight (the FILE_CHECK's, else the track_file's;
// negated by reverse) is added to the real server's weight ("Changing
// weight from 3 to 11 for active service [..] of VS [..]"); with weight
// 0 a non-zero value (zero with reverse) is a FAULT that takes the real
// server out, as does a value times weight at the 32-bit minimum. A
// FILE_CHECK has no checker thread: no "Activating healthchecker" line,
// no smtp_alert.
//
// Not done: BFD_CHECK (no BFD; not run).
//
// # Reload
//
// gokeepalived runs one Manager per virtual_server in its healthcheck
// child. At SIGHUP (keepalived's clear_diff_services) a virtual server
// whose configuration is unchanged keeps its Manager: checkers, states,
// the forwarder's listeners and connections go on. When only its
// real_servers changed, ReloadReals keeps it too: an unchanged real
// server (same address, same settings) keeps its checkers and state, one
// gone leaves the table ("Removing service [..] from VS [..]", its
// notify_down when it was up), a new one starts as at start-up (in the
// table unless an alpha checker holds it back). Any other change (lb_algo,
// quorum, sorry_server, ...) and new virtual servers restart them; one gone
// is removed ("Removing Virtual Server [..]", then keepalived's shutdown
// lines for its real servers). Spec and SpecWithoutReals compare
// configurations without their file:line positions.
//
// # Choosing the data plane
//
// Dataplane is the Table with a name; two implement it. Kernel programs
// the kernel's IPVS through package ipvs (generic netlink, the attributes
// keepalived 2.2.7's libipvs sends): one IPVS service per virtual address
// (a virtual_server_group gives several) or fwmark, the persistence
// timeout, flag and netmask on the service commands only, scheduler flags
// (flag-1..3, sh-/mh-port and -fallback) and ops (UDP only), destinations
// with their forwarding method (NAT, DR, TUN with type/port/csum),
// weight and thresholds. keepalived's ipvs_talk rules apply: an add of
// what exists and a delete of what is gone are logged ("IPVS cmd
// IP_VS_SO_SET_ADD(1154) error: Service already exists(17) (...)") and
// count as done, an edit of a missing destination adds it. At a reload
// an unchanged virtual server keeps its entries untouched; one whose
// settings changed (lb_algo, persistence, ...) is removed from the table
// and added again. Forwarder is the userspace one below.
//
// gokeepalived's healthcheck child uses Kernel where /proc/net/ip_vs
// exists and the userspace Forwarder elsewhere, and logs which ("Using
// kernel IPVS v1.2.1 for virtual servers (/proc/net/ip_vs found)",
// "Using the userspace forwarder for virtual servers (no kernel IPVS:
// /proc/net/ip_vs not found)"). global_defs lvs_userspace, a keyword of
// gokeepalived's own that keepalived 2.2.7 refuses, forces the choice:
// "lvs_userspace" or "lvs_userspace on" the userspace forwarder even where
// the kernel has IPVS (logged "forced by lvs_userspace in FILE:LINE");
// "lvs_userspace off" insists on kernel IPVS: without it the healthcheck
// child stops with a message naming the line. gokeepalived -t notes the
// keyword with "[gokeepalived]".
//
// # Userspace forwarder
//
// Forwarder listens on each virtual address with IP_FREEBIND (a BACKUP
// node binds before VRRP brings the VIP) and forwards lb_kind NAT
// services: TCP connections through forward.Pipe (splice, pooled
// buffers, 900 s idle timeout as IPVS's established TCP timeout), UDP as
// sessions per client address and port idling out after 300 s (IPVS's UDP
// timeout), or per datagram with ops. The real server sees the
// forwarder's address, not the client's (full NAT, unlike IPVS's
// destination-only NAT). lb_kind DR and TUN, fwmark services and SCTP
// need the kernel and are refused with the file:line of the
// virtual_server.
//
// Schedulers follow the kernel's ip_vs_*.c: rr and wrr give the same
// sequences as IPVS for the same weights and destination order (rr
// restarts at the head of the list when destinations change); lc, wlc,
// sed, nq, fo and ovf pick by active connections (no inactive/TIME_WAIT
// count in userspace); sh and dh use IPVS's 256-bucket table and hash
// (without sh-port: the client port is not used); mh is Maglev hashing
// with the kernel's table size but its own permutation hashes (the
// kernel's are keyed by a random siphash key anyway); lblc and lblcr,
// whose per-destination-address sets mean nothing for one virtual
// address, are scheduled as wlc. Weight 0 takes no new connections.
// persistence_timeout binds a client address (masked by
// persistence_granularity) to its real server while it has connections
// or its last one started less than the timeout ago; an entry to a
// server that left the table or has weight 0 is dropped (as IPVS with
// the sysctl expire_quiescent_template=1).
package lvs
