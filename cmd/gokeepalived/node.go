package main

import (
	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

// newVRRPNode builds the VRRP Node of cfg on p, logging through lg (-D:
// detail).
func newVRRPNode(cfg *keepalivedconf.Config, p vrrp.Platform, lg *zap.Logger, detail bool, nt vrrp.Notifier) (vrrpRunner, error) {
	opts := vrrp.NodeOptions{Logger: lg, LogDetail: detail, Notifier: nt}
	for _, s := range cfg.Global.Settings {
		if s.Keyword == "log_unknown_vrids" {
			opts.LogUnknownVRIDs = true
		}
	}
	return vrrp.NewNode(cfg, p, opts)
}
