"""Running brainsweep's sweeps and studies on real clusters: Slurm (dask-jobqueue), Kubernetes (the Dask
operator), containers and object storage. See ``deploy/README.md``.

The files next to this module are the ones users copy: ``slurm/jobqueue.yaml`` (worker job sizes),
``slurm/sweep.sbatch`` (one allocation running scheduler, workers and the CLI), ``container/Containerfile`` and
``container/compose.yaml``, ``kubernetes/daskcluster.yaml`` (rendered by ``brainsweep deploy kubernetes``).
"""
from .clusters import (ClusterLaunchError, default_jobqueue_config, kubernetes_client, kubernetes_spec,
                       render_kubernetes, slurm_client, slurm_settings)

__all__ = ["ClusterLaunchError", "default_jobqueue_config", "kubernetes_client", "kubernetes_spec",
           "render_kubernetes", "slurm_client", "slurm_settings"]
