package fetch

import "testing"

func TestPageURL(t *testing.T) {
	tests := []struct {
		list, pattern string
		n             int
		want          string
	}{
		{"https://tjj.sz.gov.cn/zwgk/zfxxgkml/tjsj/tjfx/index.html", "index_{n}.html", 2, "https://tjj.sz.gov.cn/zwgk/zfxxgkml/tjsj/tjfx/index_2.html"},
		{"https://tjj.sz.gov.cn/zwgk/zfxxgkml/tjsj/tjfx/", "index_{n}.html", 3, "https://tjj.sz.gov.cn/zwgk/zfxxgkml/tjsj/tjfx/index_3.html"},
		{"http://www.example.gov.cn/xwzx/index.html", "index_{i}.html", 2, "http://www.example.gov.cn/xwzx/index_1.html"},
		{"http://h/list.jsp?page=1", "list.jsp?page={n}", 4, "http://h/list.jsp?page=4"},
		{"http://h/a/index.html", "/b/p{n}.html", 2, "http://h/b/p2.html"},
		{"http://h/a/index.html", "javascript:go({n})", 2, ""},
		{"http://h/a/index.html", "%zz{n}", 2, ""},
	}
	for _, tt := range tests {
		if got := PageURL(tt.list, tt.pattern, tt.n); got != tt.want {
			t.Errorf("PageURL(%q, %q, %d) = %q, want %q", tt.list, tt.pattern, tt.n, got, tt.want)
		}
	}
}
