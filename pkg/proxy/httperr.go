package proxy

import "strings"

// haproxy 2.6's built-in error responses, byte for byte (captured from
// /usr/sbin/haproxy; 422 has no Connection header there either).
var httpErrors = map[int]string{
	400: "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
		"<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n",
	408: "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
		"<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n",
	422: "HTTP/1.1 422 Unprocessable Content\r\nContent-length: 116\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n" +
		"<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n",
	500: "HTTP/1.1 500 Internal Server Error\r\nContent-length: 96\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
		"<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occured.\n</body></html>\n",
	502: "HTTP/1.1 502 Bad Gateway\r\nContent-length: 107\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
		"<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n",
	503: "HTTP/1.1 503 Service Unavailable\r\nContent-length: 107\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
		"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n",
	504: "HTTP/1.1 504 Gateway Time-out\r\nContent-length: 92\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
		"<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n",
}

// htxStartLine is what haproxy 2.6 counts for a start line besides its
// three parts: the size of its internal start-line block. With the sizes
// of header names and values and of the payload it makes the byte counts
// haproxy logs (%B, %U) and shows in its stats for HTTP messages.
const htxStartLine = 21

// htxPageSize is the byte count haproxy logs for a page it sends.
func htxPageSize(page string) int64 {
	head, body, _ := strings.Cut(page, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	n := int64(htxStartLine + len(lines[0]) - 2)
	if len(lines[0]) > 0 && strings.Count(lines[0], " ") < 2 {
		n++ // no reason phrase: one space less
	}
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		if strings.EqualFold(name, "connection") {
			continue
		}
		n += int64(len(name) + len(strings.TrimSpace(value)))
	}
	return n + int64(len(body))
}
