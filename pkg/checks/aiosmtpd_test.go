package checks

import (
	"context"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestSMTPAiosmtpd runs the SMTP probe against Debian's aiosmtpd
// (python3-aiosmtpd), a real SMTP server.
func TestSMTPAiosmtpd(t *testing.T) {
	addr, _ := testenv.StartSMTP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := SMTP{Helo: "checker.test"}.Run(ctx, Target{Addr: addr})
	if !r.OK || r.Status != StatusL7OK || r.Code != 250 {
		t.Fatalf("got %v", r)
	}
}
