"""The model registry: versions and stages as annotated git tags in the GTO format.

`tags` parses and formats tag names, `refs` reads every tag with one `git for-each-ref`, `state`
folds them into what `show`/`history` print, `artifacts` reads `dvc.yaml` `artifacts:`, `write`
creates and pushes tags, `promotion` gates a stage change on metrics, `card` renders a model card
and `deliver` publishes a release and a deployment through the one GitHub client.
"""
