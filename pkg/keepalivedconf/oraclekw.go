// Keyword lists observed from keepalived 2.2.7 itself (see below).

package keepalivedconf

import "strings"

// oracleKeywords lists, per block, every keyword keepalived 2.2.7 accepts
// there: each candidate word (the registry's and those of keepalived.conf(5))
// was written inside each block and kept unless keepalived -t answered
// "Unknown keyword". A keyword outside its block's list is unknown there,
// exactly as keepalived reports it. Blocks not listed (free-form ones such
// as virtual_ipaddress, and blocks gokeepalived does not model) are not checked.
// include_check (global_defs) was checked separately: the probe skipped
// words starting with "include", which the reader handles itself.
var oracleKeywords = map[string]string{
	"":                             `SSL bfd_instance garp_group global_defs instance linkbeat_interfaces namespace_with_ipsets net_namespace net_namespace_ipvs static_ipaddress static_routes static_rules track_file track_group use_pid_dir virtual_server virtual_server_group vrrp_instance vrrp_script vrrp_sync_group vrrp_track_file vrrp_track_process`,
	"SSL":                          `ca certificate key password`,
	"global_defs":                  `include_check bfd_cpu_affinity bfd_no_swap bfd_priority bfd_process_name bfd_rlimit_rttime bfd_rt_priority checker_cpu_affinity checker_log_all_failures checker_no_swap checker_priority checker_process_name checker_rlimit_rttime checker_rt_priority config_save_dir data_use_instance dbus_service_name default_interface disable_local_igmp dynamic_interfaces enable_dbus enable_script_security enable_snmp_checker enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_vrrp enable_traps fifo_write_vrrp_states_on_reload log_unknown_vrids lvs_flush lvs_flush_on_stop lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force lvs_notify_fifo lvs_notify_fifo_script lvs_sync_daemon lvs_timeouts max_auto_priority min_auto_priority_delay nftables nftables_counters nftables_ifindex nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark nftables_priority no_checker_emails no_email_faults notification_email notification_email_from notify_fifo notify_fifo_script process_monitor_rcv_bufs process_monitor_rcv_bufs_force process_name process_names random_seed reload_check_config reload_file reload_repeat reload_time_file router_id rs_init_notifies script_user shutdown_script shutdown_script_timeout smtp_alert smtp_alert_checker smtp_alert_vrrp smtp_connect_timeout smtp_helo_name smtp_server snmp_socket startup_script startup_script_timeout tmp_config_directory umask vmac_addr_prefix vmac_prefix vrrp_check_unicast_src vrrp_cpu_affinity vrrp_down_timer_adverts vrrp_garp_extra_if vrrp_garp_interval vrrp_garp_lower_prio_delay vrrp_garp_lower_prio_repeat vrrp_garp_master_delay vrrp_garp_master_refresh vrrp_garp_master_refresh_repeat vrrp_garp_master_repeat vrrp_gna_interval vrrp_higher_prio_send_advert vrrp_iptables vrrp_lower_prio_no_advert vrrp_mcast_group4 vrrp_mcast_group6 vrrp_min_garp vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force vrrp_no_swap vrrp_notify_fifo vrrp_notify_fifo_script vrrp_notify_priority_changes vrrp_priority vrrp_process_name vrrp_rlimit_rttime vrrp_rt_priority vrrp_rx_bufs_multiplier vrrp_rx_bufs_policy vrrp_skip_check_adv_addr vrrp_startup_delay vrrp_strict vrrp_version`,
	"track_file":                   `file init_file weight`,
	"virtual_server":               `alpha connect_timeout delay_before_retry delay_loop flag-1 flag-2 flag-3 ha_suspend hysteresis inhibit_on_failure ip_family lb_algo lb_kind lvs_method lvs_sched mh-fallback mh-port omega ops persistence_engine persistence_granularity persistence_timeout protocol quorum quorum_down quorum_up real_server retry sh-fallback sh-port smtp_alert snmp_name sorry_server sorry_server_inhibit sorry_server_lvs_method virtualhost warmup weight`,
	"virtual_server > real_server": `BFD_CHECK DNS_CHECK FILE_CHECK HTTP_GET MISC_CHECK PING_CHECK SMTP_CHECK SSL_GET TCP_CHECK UDP_CHECK alpha connect_timeout delay_before_retry delay_loop inhibit_on_failure lthreshold lvs_method notify_down notify_up retry smtp_alert snmp_name uthreshold virtualhost warmup weight`,
	"virtual_server > real_server > BFD_CHECK":         `alpha name`,
	"virtual_server > real_server > DNS_CHECK":         `alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures name retry type warmup`,
	"virtual_server > real_server > FILE_CHECK":        `track_file weight`,
	"virtual_server > real_server > HTTP_GET":          `alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop enable_sni fast_recovery fwmark http_protocol log_all_failures nb_get_retry retry url virtualhost warmup`,
	"virtual_server > real_server > HTTP_GET > url":    `digest path regex regex_max_offset regex_min_offset regex_no_match regex_options regex_stack status_code virtualhost`,
	"virtual_server > real_server > MISC_CHECK":        `alpha delay_before_retry delay_loop log_all_failures misc_dynamic misc_path misc_timeout retry user warmup`,
	"virtual_server > real_server > PING_CHECK":        `alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures retry warmup`,
	"virtual_server > real_server > SMTP_CHECK":        `alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark helo_name host log_all_failures retry warmup`,
	"virtual_server > real_server > SMTP_CHECK > host": `alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures retry warmup`,
	"virtual_server > real_server > SSL_GET":           `alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop enable_sni fast_recovery fwmark http_protocol log_all_failures nb_get_retry retry url virtualhost warmup`,
	"virtual_server > real_server > SSL_GET > url":     `digest path regex regex_max_offset regex_min_offset regex_no_match regex_options regex_stack status_code virtualhost`,
	"virtual_server > real_server > TCP_CHECK":         `alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures retry warmup`,
	"virtual_server > real_server > UDP_CHECK":         `alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures max_reply_length min_reply_length payload require_reply retry warmup`,
	"vrrp_instance":                  `accept advert_int authentication check_unicast_src debug dont_track_primary down_timer_adverts garp_extra_if garp_lower_prio_delay garp_lower_prio_repeat garp_master_delay garp_master_refresh garp_master_refresh_repeat garp_master_repeat higher_prio_send_advert interface kernel_rx_buf_size linkbeat_use_polling lower_prio_no_advert lvs_sync_daemon_interface mcast_dst_ip mcast_src_ip native_ipv6 no_accept nopreempt notify notify_backup notify_deleted notify_fault notify_master notify_master_rx_lower_pri notify_priority_changes notify_stop old_unicast_checksum preempt preempt_delay priority promote_secondaries skip_check_adv_addr smtp_alert state strict_mode track_bfd track_file track_interface track_process track_script track_src_ip unicast_fault_no_peer unicast_peer unicast_src_ip unicast_ttl use_ipvlan use_vmac use_vmac_addr version virtual_ipaddress virtual_ipaddress_excluded virtual_router_id virtual_routes virtual_rules vmac_xmit_base vrf`,
	"vrrp_instance > authentication": `auth_pass auth_type`,
	"vrrp_script":                    `fall init_fail interval rise script timeout user weight`,
	"vrrp_sync_group":                `global_tracking group notify notify_backup notify_fault notify_master notify_priority_changes notify_stop smtp_alert sync_group_tracking_weight track_bfd track_file track_interface track_process track_script`,
	"vrrp_track_file":                `file init_file weight`,
	"vrrp_track_process":             `delay fork_delay full_command param_match process quorum quorum_max terminate_delay weight`,
}

// oracleBlocks are keywords keepalived knows as blocks that the registry
// does not model; their content is skipped.
var oracleBlocks = map[string]string{"": `SSL`}

// OracleKeywords returns, per block section ("" for the top level), the
// keywords keepalived 2.2.7 accepts there, and which of them open blocks
// (for tests that re-check the lists against keepalived).
func OracleKeywords() (known map[string][]string, blocks map[string]bool) {
	known = map[string][]string{}
	for sec, l := range oracleKeywords {
		known[sec] = strings.Fields(l)
	}
	blocks = map[string]bool{}
	for _, k := range Registry() {
		if k.HasBlock() {
			blocks[k.Name] = true
		}
	}
	for _, l := range oracleBlocks {
		for _, w := range strings.Fields(l) {
			blocks[w] = true
		}
	}
	return known, blocks
}
