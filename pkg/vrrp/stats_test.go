package vrrp

import "testing"

func TestCountReject(t *testing.T) {
	var st InstanceStats
	for _, m := range []string{
		"(VI_1) invalid TTL/HL. Received 64 and expect 255",
		"(VI_1) Invalid auth type: 3",
		"(VI_1) received a 1 auth, expecting 0!",
		"(VI_1) received an invalid passwd!",
		"(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !",
		"(VI_1) Invalid packet type. 2 and expect 1",
		"(VI_1) received an unexpected ip number count 2, expected 1!",
		"(VI_1) ip address associated with VRID 42 not present in MASTER advert: 10.0.0.1",
		"(VI_1) something else",
	} {
		st.countReject(m)
	}
	want := InstanceStats{IPTTLErr: 1, InvalidAuthType: 1, AuthTypeMismatch: 1, AuthFailure: 2, InvalidTypeRcvd: 1, AddrListErr: 2, AdvertRcvd: 1}
	if st != want {
		t.Errorf("got %+v\nwant %+v", st, want)
	}
}
