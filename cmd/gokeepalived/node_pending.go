package main

import (
	"errors"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

// newVRRPNode is replaced by vrrp.NewNode once the Node is on main.
func newVRRPNode(cfg *keepalivedconf.Config, p vrrp.Platform, lg *zap.Logger, detail bool) (vrrpRunner, error) {
	return nil, errors.New("the VRRP run time is not implemented yet - not starting")
}
