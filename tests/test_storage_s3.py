"""Object storage against a real S3 endpoint over HTTP (moto's server mode): references are
stored under unguessable keys, the provider gets presigned URLs it can fetch, and a whole
generation runs with S3 as the only storage."""

from __future__ import annotations

import boto3
import pytest
import requests

from generations import forms, scheduling, services
from generations.models import Generation, Status
from tests import media_factory as mf
from tests import support
from tests.factories import create_from_form, scoped
from tests.test_e2e import wait_until_finished

BUCKET = "studio-test"


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = support.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3_client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def s3_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
    }


@pytest.fixture
def s3_settings(settings, s3_endpoint):
    settings.USE_S3 = True
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
                "querystring_expire": 300,
                "signature_version": "s3v4",
            },
        },
    }
    return s3_endpoint


def test_references_get_presigned_urls_valid_past_the_deadline(db, user, s3_settings, monkeypatch):
    monkeypatch.setattr(scheduling, "publish", lambda *args: None)
    form = forms.ImageForm(
        data={
            "mode": "image",
            "model": "seedance2.0-480p",
            "prompt": "s3",
            "duration": "5",
            "aspect_ratio": "16:9",
        },
        files={"first_frame": mf.upload("../../x.png", mf.png(), "image/png")},
        **scoped(user),
    )
    generation = create_from_form(form, user)
    reference = generation.references.get()
    assert reference.file.name.startswith(f"workspaces/{generation.workspace_id}/references/")
    assert "x.png" not in reference.file.name and ".." not in reference.file.name
    url = services.build_request(generation).image
    assert "X-Amz-Signature=" in url
    expires = int(url.split("X-Amz-Expires=")[1].split("&")[0])
    deadline = (generation.deadline_at - generation.created_at).total_seconds()
    assert deadline < expires <= 7 * 24 * 3600
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content[:4] == b"\x89PNG"
    # The bucket stays private: the object carries no public grant.
    s3 = s3_client(s3_settings)
    grants = s3.get_object_acl(Bucket=BUCKET, Key=reference.file.name)["Grants"]
    assert all("AllUsers" not in str(grant.get("Grantee")) for grant in grants)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_image_generation_runs_entirely_on_s3(
    django_db_setup, user, s3_settings, simulator_url, proc_logs, settings
):
    from studio.celery import app

    settings.SEEDANCE_BASE_URL = simulator_url
    settings.SEEDANCE_RESULT_HOSTS = ["127.0.0.1", "localhost"]
    # A private broker, so only this S3-configured worker takes the task.
    redis_proc, redis_url = support.start_redis(proc_logs)
    previous_broker = app.conf.broker_url
    support.point_celery_at(app, redis_url)
    env = support.worker_env(
        database_url=support.database_url_for_current_test_db(),
        redis_url=redis_url,
        seedance_url=simulator_url,
        media_root="/nonexistent-local-media",
    )
    env.update(s3_env(s3_settings))
    worker = support.start_worker(proc_logs, env, name="s3-worker")
    try:
        form = forms.ImageForm(
            data={
                "mode": "image",
                "model": "seedance2.0-480p",
                "prompt": "S3 e2e red",
                "duration": "5",
                "aspect_ratio": "1:1",
            },
            files={"first_frame": mf.upload("red.png", mf.png(color=(220, 0, 0)), "image/png")},
            **scoped(user),
        )
        generation = wait_until_finished(create_from_form(form, user).pk)
        assert generation.status == Status.SUCCEEDED, generation.error_message
        s3 = s3_client(s3_settings)
        head = s3.head_object(Bucket=BUCKET, Key=generation.video.name)
        assert head["ContentLength"] == generation.video_bytes
        assert Generation.objects.get(pk=generation.pk).poster.name
    finally:
        worker.stop()
        redis_proc.stop()
        support.point_celery_at(app, previous_broker)
