package hexo

import (
	"time"

	"github.com/feedpost/feedpost/internal/output"
)

// Date returns the `date:` of the post file of id under dir, as Render wrote
// it; errors.Is(err, fs.ErrNotExist) when there is no such file.
func Date(dir, id string) (time.Time, error) {
	return output.ReadDate(Path(dir, id), "date")
}
