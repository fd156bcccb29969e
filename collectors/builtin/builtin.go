// Package builtin registers trademon's collectors. Import it for its side effect; a
// new collector is one more line here.
package builtin

import (
	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/port"
	"github.com/trademon/trademon/collectors/retail"
	"github.com/trademon/trademon/collectors/standards"
	"github.com/trademon/trademon/collectors/trade"
)

func init() {
	collectors.Register(port.Name, port.New)
	collectors.Register(retail.Name, retail.New)
	collectors.Register(standards.Name, standards.New)
	collectors.Register(trade.Name, trade.New)
}
