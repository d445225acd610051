package db

import "time"

// SetKeyUsedEvery sets how often a key's last-used time is written, so a
// test need not wait a minute.
func (k *Keys) SetKeyUsedEvery(d time.Duration) { k.usedEvery = d }
