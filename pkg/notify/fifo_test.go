package notify

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFIFOLinesWithoutReaderThenRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.fifo")
	log, logs := observed()
	f, err := OpenFIFO(path, "vrrp_", nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// No reader yet: the writes must neither block nor fail.
	vs := Service(netip.MustParseAddrPort("192.168.201.15:80"), "tcp")
	rs := Service(netip.MustParseAddrPort("1.2.3.4:80"), "tcp")
	for _, err := range []error{
		f.Instance("VI_1", Master, 100),
		f.Group("G1", Backup),
		f.VirtualServer(vs, true),
		f.RealServer(rs, vs, false),
		f.Instance("VI_2", MasterRxLowerPri, 90),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	rfd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(rfd)
	buf := make([]byte, 4096)
	n, err := syscall.Read(rfd, buf)
	if err != nil {
		t.Fatal(err)
	}
	want := "INSTANCE \"VI_1\" MASTER 100\n" +
		"GROUP \"G1\" BACKUP 0\n" +
		"VS [192.168.201.15]:tcp:80 UP\n" +
		"RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN\n" +
		"INSTANCE \"VI_2\" MASTER_RX_LOWER_PRI 90\n"
	if got := string(buf[:n]); got != want {
		t.Errorf("read %q\nwant %q", got, want)
	}
	if len(logs.All()) != 0 {
		t.Errorf("logs %v", logs.All())
	}
}

func TestFIFOFullDropsAndLogs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.fifo")
	log, logs := observed()
	f, err := OpenFIFO(path, "", nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	var dropped int
	for i := 0; i < 20000 && dropped == 0; i++ {
		if err := f.Instance("VI_1", Master, 100); err != nil {
			if !errors.Is(err, syscall.EAGAIN) {
				t.Fatal(err)
			}
			dropped++
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("writes took %v", d)
	}
	if dropped == 0 {
		t.Fatal("the pipe never filled")
	}
	e := logs.FilterMessage("notify FIFO line dropped").All()
	if len(e) != 1 || !strings.Contains(e[0].ContextMap()["reason"].(string), "reader does not keep up") {
		t.Errorf("logs %v", logs.All())
	}
}

func TestFIFORefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "regular")
	os.WriteFile(reg, nil, 0o644)
	if _, err := OpenFIFO(reg, "lvs_", nil, nil); err == nil || err.Error() != "lvs_notify fifo "+reg+" is not a fifo we own - not using" {
		t.Errorf("err = %v", err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(reg, link)
	if _, err := OpenFIFO(link, "", nil, nil); err == nil || !strings.HasPrefix(err.Error(), "Unable to open notify fifo "+link) {
		t.Errorf("err = %v", err)
	}
	if _, err := OpenFIFO(filepath.Join(dir, "no", "dir"), "", nil, nil); err == nil || !strings.HasPrefix(err.Error(), "Unable to create notify fifo") {
		t.Errorf("err = %v", err)
	}
}

func TestFIFOCloseRemovesCreated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	f, err := OpenFIFO(path, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("created FIFO left behind: %v", err)
	}
	if err := f.Instance("VI_1", Master, 1); err == nil {
		t.Error("write after Close succeeded")
	}
	// A FIFO that existed before is kept.
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err = OpenFIFO(path, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("existing FIFO removed: %v", err)
	}
}
