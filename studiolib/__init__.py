"""The parts of the studio with no models: the provider client, the URL guard, media probing,
upload checks, file serving and the tier and size tables. Nothing here imports an app of ours."""
